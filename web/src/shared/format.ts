// Times and durations as the pages show them.
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";

export function seconds(d: Duration | undefined): number | null {
  return d ? Number(d.seconds) + d.nanos / 1e9 : null;
}

export function millis(t: Timestamp | undefined): number | null {
  return t ? Number(t.seconds) * 1000 + Math.round(t.nanos / 1e6) : null;
}

/** "4 min", "1 h 05 min", "45 s"; negative as "-4 min". */
export function span(totalSeconds: number): string {
  const sign = totalSeconds < 0 ? "-" : "";
  const s = Math.abs(Math.round(totalSeconds));
  if (s < 60) return `${sign}${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${sign}${minutes} min`;
  return `${sign}${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export function clock(ms: number | null): string {
  return ms === null ? "—" : new Date(ms).toLocaleTimeString([], { hour12: false });
}

/** An element with text, class and attributes: the only DOM helper the pages need. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { text?: string; className?: string; attrs?: Record<string, string> } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.text !== undefined) node.textContent = props.text;
  if (props.className) node.className = props.className;
  for (const [key, value] of Object.entries(props.attrs ?? {})) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

/** A link that runs ``onClick`` instead of navigating. */
export function link(text: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLAnchorElement {
  const a = el("a", { text, attrs: { href: "#", ...attrs } });
  a.addEventListener("click", (event) => {
    event.preventDefault();
    onClick();
  });
  return a;
}
