// The task board: active tasks by state, each with its SLA countdown, filtered by state,
// fleet, zone and lateness. Clicking a card selects the task.
import { lastId } from "../shared/api";
import { el, span } from "../shared/format";
import { ACTIVE_STATES, type Store, type TaskRow } from "./store";
import type { Zones } from "./zones";

export interface BoardFilters {
  state: string;
  fleet: string;
  zone: string;
  late: boolean;
}

export class Board {
  private readonly root: HTMLElement;
  private readonly store: Store;
  private readonly zones: Zones;
  private readonly onSelect: (task: string) => void;
  filters: BoardFilters = { state: "", fleet: "", zone: "", late: false };
  selected = "";

  constructor(root: HTMLElement, store: Store, zones: Zones, onSelect: (task: string) => void) {
    this.root = root;
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
      };
      this.render();
    });
    // The SLA countdown moves every second even when nothing else does.
    setInterval(() => this.render(), 1000);
  }

  private visible(row: TaskRow, nowMs: number): boolean {
    const f = this.filters;
    if (f.state && row.state !== f.state) return false;
    if (f.late && !(row.deadlineMs !== null && row.deadlineMs < nowMs)) return false;
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

  render(): void {
    const nowMs = Date.now();
    const columns = ACTIVE_STATES.map((state) => {
      const rows = [...this.store.tasks.values()].filter((r) => r.state === state && this.visible(r, nowMs));
      rows.sort((a, b) => (a.deadlineMs ?? Infinity) - (b.deadlineMs ?? Infinity));
      const cards = rows.map((row) => this.card(row, nowMs));
      return el(
        "div",
        { className: "column", attrs: { "data-state": state } },
        el("h3", { text: `${state.replace("_", " ")} (${rows.length})` }),
        ...cards,
      );
    });
    this.root.replaceChildren(...columns);
  }

  private card(row: TaskRow, nowMs: number): HTMLElement {
    const left = row.deadlineMs === null ? null : (row.deadlineMs - nowMs) / 1000;
    const sla = left === null ? "no deadline" : left < 0 ? `late ${span(-left)}` : `due in ${span(left)}`;
    const card = el(
      "button",
      {
        className: `card${left !== null && left < 0 ? " late" : ""}${row.name === this.selected ? " selected" : ""}`,
        attrs: { type: "button", "data-task": row.name, "data-testid": "task-card" },
      },
      el("span", { className: "id", text: lastId(row.name) }),
      el("span", { className: "sla", text: sla }),
      el("span", { className: "rider", text: row.rider ? `rider ${lastId(row.rider)}` : "unassigned" }),
    );
    card.addEventListener("click", () => this.onSelect(row.name));
    return card;
  }
}
