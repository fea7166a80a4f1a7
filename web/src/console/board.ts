// The task board: active tasks by state, each with its SLA countdown, filtered by state,
// fleet, zone, lateness and a missing address, each named by its order id and its rider's
// display name; a task whose address is not resolved carries a "needs address" badge, and how
// many there are shows beside that filter. Clicking a card selects the task.
import { lastId } from "../shared/api";
import { clock, el, span } from "../shared/format";
import { taskLabel, type Names } from "./names";
import { ACTIVE_STATES, type Store, type TaskRow } from "./store";
import type { Zones } from "./zones";

export interface BoardFilters {
  state: string;
  fleet: string;
  zone: string;
  late: boolean;
  needsAddress: boolean;
}

export class Board {
  private readonly root: HTMLElement;
  private readonly store: Store;
  private readonly zones: Zones;
  private readonly onSelect: (task: string) => void;
  private readonly riders: Names;
  filters: BoardFilters = { state: "", fleet: "", zone: "", late: false, needsAddress: false };
  selected = "";

  constructor(root: HTMLElement, store: Store, zones: Zones, onSelect: (task: string) => void, riders: Names) {
    this.root = root;
    this.riders = riders;
    this.store = store;
    this.zones = zones;
    this.onSelect = onSelect;
    const stateFilter = document.getElementById("filter-state") as HTMLSelectElement;
    for (const state of ACTIVE_STATES) stateFilter.append(el("option", { text: state, attrs: { value: state } }));
    const form = document.getElementById("filters") as HTMLFormElement;
    form.addEventListener("change", () => {
      this.filters = {
        state: stateFilter.value,
        fleet: (document.getElementById("filter-fleet") as HTMLSelectElement).value,
        zone: (document.getElementById("filter-zone") as HTMLSelectElement).value,
        late: (document.getElementById("filter-late") as HTMLInputElement).checked,
        needsAddress: (document.getElementById("filter-address") as HTMLInputElement).checked,
      };
      this.render();
    });
    // The SLA countdown moves every second even when nothing else does.
    setInterval(() => this.tick(), 1000);
  }

  private visible(row: TaskRow, nowMs: number): boolean {
    const f = this.filters;
    if (f.state && row.state !== f.state) return false;
    if (f.late && !(row.deadlineMs !== null && row.deadlineMs < nowMs)) return false;
    if (f.needsAddress && !row.needsAddress) return false;
    if (f.fleet) {
      const rider = row.rider ? this.store.riders.get(row.rider) : undefined;
      if (!rider || rider.fleet !== f.fleet) return false;
    }
    if (f.zone) {
      const location = row.task?.steps[row.task.currentStep]?.location ?? row.task?.steps[0]?.location;
      if (!location || !this.zones.contains(f.zone, location.longitude, location.latitude)) return false;
    }
    return true;
  }

  private readonly cards = new Map<string, HTMLButtonElement>();

  /** Lays the board out again; cards are kept per task, so a click is never lost to a redraw. */
  render(): void {
    const nowMs = Date.now();
    const columns = ACTIVE_STATES.map((state) => {
      const rows = [...this.store.tasks.values()].filter((r) => r.state === state && this.visible(r, nowMs));
      rows.sort((a, b) => (a.deadlineMs ?? Infinity) - (b.deadlineMs ?? Infinity));
      return { state, cards: rows.map((row) => this.card(row, nowMs)) };
    });
    const waiting = [...this.store.tasks.values()].filter((r) => r.needsAddress && ACTIVE_STATES.some((s) => s === r.state)).length;
    const count = document.getElementById("address-count") as HTMLElement;
    if (count.textContent !== String(waiting)) count.textContent = String(waiting);
    count.classList.toggle("some", waiting > 0);
    const shown = new Set(columns.flatMap((c) => c.cards));
    for (const [name, card] of this.cards) if (!shown.has(card)) this.cards.delete(name);
    for (const { state, cards } of columns) {
      let column = this.root.querySelector<HTMLElement>(`.column[data-state="${state}"]`);
      if (!column) {
        column = el("div", { className: "column", attrs: { "data-state": state } }, el("h3"));
        this.root.append(column);
      }
      const title = `${state.replace("_", " ")} (${cards.length})`;
      const heading = column.firstElementChild as HTMLElement;
      if (heading.textContent !== title) heading.textContent = title;
      const current = [...column.children].slice(1);
      if (current.length !== cards.length || current.some((node, i) => node !== cards[i])) {
        column.replaceChildren(heading, ...cards);
      }
    }
  }

  /** Updates the SLA countdowns only (every second). */
  tick(): void {
    const nowMs = Date.now();
    for (const [name, card] of this.cards) {
      const row = this.store.tasks.get(name);
      if (row) this.fill(card, row, nowMs);
    }
  }

  private card(row: TaskRow, nowMs: number): HTMLButtonElement {
    let card = this.cards.get(row.name);
    if (!card) {
      card = el(
        "button",
        { className: "card", attrs: { type: "button", "data-task": row.name, "data-testid": "task-card", title: lastId(row.name) } },
        el("span", { className: "id" }),
        el("span", { className: "sla" }),
        el("span", { className: "rider" }),
        el("span", { className: "flag", text: "needs address", attrs: { "data-testid": "needs-address" } }),
        el("span", { className: "eta", attrs: { "data-testid": "task-eta" } }),
      );
      card.addEventListener("click", () => this.onSelect(row.name));
      this.cards.set(row.name, card);
    }
    this.fill(card, row, nowMs);
    return card;
  }

  private fill(card: HTMLButtonElement, row: TaskRow, nowMs: number): void {
    const left = row.deadlineMs === null ? null : (row.deadlineMs - nowMs) / 1000;
    const sla = left === null ? "no deadline" : left < 0 ? `late ${span(-left)}` : `due in ${span(left)}`;
    // A rider's name read after this pass shows on the next (the countdown's, within a second).
    const rider = row.rider ? `rider ${this.riders.now(row.rider)}` : "unassigned";
    const label = taskLabel(row);
    const eta = row.eta?.arrivalMs ? `ETA ${clock(row.eta.arrivalMs)} (${row.eta.label})` : "";
    const [idText, slaText, riderText, flag, etaText] = card.children;
    if (idText && idText.textContent !== label) idText.textContent = label;
    if (slaText && slaText.textContent !== sla) slaText.textContent = sla;
    if (riderText && riderText.textContent !== rider) riderText.textContent = rider;
    if (flag instanceof HTMLElement && flag.hidden === row.needsAddress) flag.hidden = !row.needsAddress;
    if (etaText && etaText.textContent !== eta) {
      etaText.textContent = eta;
      etaText.setAttribute("data-source", row.eta?.source ?? "");
    }
    card.classList.toggle("late", left !== null && left < 0);
    card.classList.toggle("selected", row.name === this.selected);
  }
}
