// Live alerts (SLA at risk and breached, geofence, offline, spoofing), newest first, each
// linking to its task or rider.
import { lastId } from "../shared/api";
import { clock, el, link } from "../shared/format";
import type { Store } from "./store";

export function renderAlerts(
  root: HTMLElement,
  store: Store,
  onTask: (task: string) => void,
  onRider: (rider: string) => void,
): void {
  const items = store.alerts.slice(0, 50).map((a) => {
    const severe = a.type.endsWith("breached") || a.type.includes("spoofing") || a.type.endsWith("offline");
    const item = el(
      "li",
      { className: severe ? "alert severe" : "alert", attrs: { "data-testid": "alert", "data-type": a.type } },
      el("span", { className: "time", text: clock(a.timeMs) }),
      el("strong", { text: ` ${a.type} ` }),
      el("span", { text: a.message }),
    );
    if (a.task) item.append(" ", link(`task ${lastId(a.task)}`, () => onTask(a.task)));
    if (a.rider) item.append(" ", link(`rider ${lastId(a.rider)}`, () => onRider(a.rider)));
    return item;
  });
  root.replaceChildren(...items);
}
