// The selected task: its steps on the map, its addresses (and, while one waits, its candidates
// and the fix), the steps flagged by verified completion, a temperature excursion, its event trail (flags marked), the nearest eligible riders with their ETA, riders who are not
// eligible and why, and the dispatcher's actions. A task that needs an address is not offered
// to riders: the service refuses it (NEEDS_ADDRESS), so the console does not ask.
import { AutoDispatchResponse_Outcome, type RiderCandidate } from "@gen/bengobox/logistics/v1/dispatch_pb";
import { IneligibilityReason_Code } from "@gen/bengobox/logistics/v1/fleet_pb";
import { Task_State, type Task, type TaskEvent } from "@gen/bengobox/logistics/v1/task_pb";
import type * as maplibregl from "maplibre-gl";
import { lastId, type Api } from "../shared/api";
import { clock, el, millis, seconds, span } from "../shared/format";
import { emptyCollection } from "../shared/map";
import { etaView, leftOutSummary, stateName } from "../shared/states";
import { actionButton, attempt } from "./actions";
import { AddressPanel, waits } from "./addressPanel";
import { coldChainLines } from "./coldChain";
import { flagLines } from "./flags";
import { shortId, type Names } from "./names";
import type { Store } from "./store";

// Trail entries shown in red: a completion away from its step, goods out of their range.
const FLAGGED_ENTRIES = new Set(["completion_flagged", "temperature_excursion"]);

export class TaskPanel {
  private readonly root: HTMLElement;
  private readonly api: Api;
  private readonly store: Store;
  private readonly map: maplibregl.Map;
  private readonly onRider: (rider: string) => void;
  private readonly writable: boolean;
  private readonly names: Names;
  private current = "";
  // The task last read for the panel: a live change of its needs_address reads it again.
  private shown: Task | null = null;
  private readonly addresses: AddressPanel;
  // Why the panel was read again (an edit refused by its etag), kept across that redraw.
  private notice: { task: string; text: string } | null = null;
  // The last AutoDispatch's answer, kept across the redraw that follows it.
  private outcome: { task: string; line: (Node | string)[] } | null = null;

  constructor(
    root: HTMLElement,
    api: Api,
    store: Store,
    map: maplibregl.Map,
    onRider: (rider: string) => void,
    writable: boolean,
    names: Names,
  ) {
    this.root = root;
    this.names = names;
    this.writable = writable;
    this.api = api;
    this.store = store;
    this.map = map;
    this.onRider = onRider;
    this.addresses = new AddressPanel(
      api,
      map,
      async (task, text) => {
        this.notice = { task, text };
        await this.select(task);
      },
      async (task) => {
        this.notice = null;
        this.shown = task;
        this.store.putTask(task);
        await this.select(task.name);
      },
    );
    map.addSource("steps", { type: "geojson", data: emptyCollection() });
    map.addLayer({ id: "step-path", type: "line", source: "steps", paint: { "line-color": "#7048e8", "line-width": 2, "line-dasharray": [2, 1] } });
    map.addLayer({
      id: "step-dots",
      type: "circle",
      source: "steps",
      filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-radius": 7, "circle-color": ["case", ["==", ["get", "kind"], "pickup"], "#7048e8", "#f03e3e"], "circle-stroke-color": "#fff", "circle-stroke-width": 2 },
    });
  }

  async select(name: string): Promise<void> {
    this.current = name;
    if (this.notice?.task !== name) this.notice = null;
    const task = await attempt("GetTask", () => this.api.tasks.getTask({ name }));
    if (!task || this.current !== name) return;
    this.shown = task;
    this.store.putTask(task);
    this.drawSteps(task);
    const origin = { case: "task", value: name } as const;
    const [events, nearest] = await Promise.all([
      attempt("ListTaskEvents", () => this.api.tasks.listTaskEvents({ parent: name, pageSize: 50 })),
      // Ranking riders for a task is a dispatcher's call (logistics:dispatch).
      this.writable && !task.needsAddress && (task.state === Task_State.CREATED || task.state === Task_State.ASSIGNED)
        ? attempt("FindNearestRiders", () => this.api.dispatch.findNearestRiders({ parent: tenantOf(name), origin, maxRiders: 5 }))
        : Promise.resolve(undefined),
    ]);
    // Only an empty answer is explained: the explain pass reads every rider in the radius.
    const why =
      nearest && nearest.riders.length === 0
        ? await attempt("FindNearestRiders", () => this.api.dispatch.findNearestRiders({ parent: tenantOf(name), origin, maxRiders: 5, explain: true }))
        : undefined;
    if (this.current !== name) return;
    this.render(task, events?.events ?? [], nearest?.riders ?? [], leftOutSummary(why?.explanation));
  }

  /** Reads the selected task again when the live view says its address wait began or ended
   * (the geocoder answered, or another dispatcher set it). */
  refresh(): void {
    const row = this.store.tasks.get(this.current);
    if (row && this.shown?.name === row.name && row.needsAddress !== this.shown.needsAddress) void this.select(this.current);
  }

  clear(): void {
    this.current = "";
    this.shown = null;
    this.addresses.clear();
    this.root.hidden = true;
    this.map.getSource<maplibregl.GeoJSONSource>("steps")?.setData(emptyCollection());
  }

  private drawSteps(task: Task): void {
    // A step waiting for its address has no place yet (its candidates are pinned instead).
    const placed = task.steps.filter((s) => s.location && !waits(s));
    const points = placed.map((s) => s.location as { latitude: number; longitude: number });
    const features: GeoJSON.Feature[] = placed
      .map((s) => ({
        type: "Feature",
        geometry: { type: "Point", coordinates: [s.location?.longitude ?? 0, s.location?.latitude ?? 0] },
        properties: { kind: s.kind === 1 ? "pickup" : "drop_off", id: s.id },
      }));
    if (points.length > 1) {
      features.push({ type: "Feature", geometry: { type: "LineString", coordinates: points.map((p) => [p.longitude, p.latitude]) }, properties: {} });
    }
    this.map.getSource<maplibregl.GeoJSONSource>("steps")?.setData({ type: "FeatureCollection", features });
  }

  private render(task: Task, events: TaskEvent[], nearest: RiderCandidate[], leftOut: string): void {
    const active = task.state !== Task_State.COMPLETED && task.state !== Task_State.FAILED && task.state !== Task_State.CANCELLED;
    const reason = el("input", { attrs: { type: "text", placeholder: "reason (manual override)", "aria-label": "Reason", "data-testid": "reason" } });
    reason.className = "needs-dispatch";
    reason.disabled = !this.writable;
    const verb = task.rider ? "Reassign" : "Assign";
    // The service refuses to dispatch a task whose place is a guess; the buttons say so first.
    const located = (button: HTMLButtonElement): HTMLButtonElement => {
      if (task.needsAddress) {
        button.disabled = true;
        button.title = "set the address first";
      }
      return button;
    };
    const assign = (rider: string) => async () => {
      const answer = await attempt(task.rider ? "Reassign" : "Assign", () =>
        this.api.dispatch.assignTask({ task: task.name, rider, reason: reason.value, etag: task.etag }),
      );
      if (answer?.task) this.store.putTask(answer.task);
      if (answer) await this.select(task.name);
    };
    const candidates = nearest.map((c) =>
      el(
        "li",
        { attrs: { "data-testid": "candidate", "data-rider": c.rider } },
        this.names.link(c.rider, this.onRider),
        ` ${Math.round(c.distanceM)} m, ETA ${c.eta ? span(seconds(c.eta) ?? 0) : "—"}${c.arrival ? ` (${etaView(c.arrival)?.label})` : ""} `,
        located(actionButton(verb, assign(c.rider), "assign")),
      ),
    );
    // Riders in view who were not ranked, each with why not (no shift, no vehicle, documents).
    const others = [...this.store.riders.values()]
      .filter((r) => !nearest.some((c) => c.rider === r.name))
      .slice(0, 8)
      .map((r) => {
        const why = el("span", { className: "why", attrs: { "data-testid": "why-not" } });
        void attempt("GetEligibility", () => this.api.fleet.getEligibility({ rider: r.name })).then((e) => {
          if (!e) return;
          why.textContent = e.eligible
            ? "eligible (further away, busy or offline)"
            : e.reasons.map((x) => x.message || (IneligibilityReason_Code[x.code] ?? "").toLowerCase()).join("; ");
        });
        const override = active ? [" ", located(actionButton(verb, assign(r.name), "assign"))] : [];
        return el("li", { attrs: { "data-rider": r.name } }, this.names.link(r.name, this.onRider), ...override, " ", why);
      });
    const trail = events.map((e) => {
      const flagged = FLAGGED_ENTRIES.has(e.type) ? { className: "flag", attrs: { "data-testid": "trail-flag" } } : {};
      return el("li", { ...flagged, text: `${clock(millis(e.eventTime))} ${e.type}${e.actor ? ` by ${e.actor}` : ""}${e.reason ? ` — ${e.reason}` : ""}` });
    });
    const tools = active
      ? el(
          "div",
          { className: "actions" },
          reason,
          located(actionButton("AutoDispatch", async () => {
            const r = await attempt("AutoDispatch", () => this.api.dispatch.autoDispatch({ task: task.name }));
            if (r) {
              const outcome = (AutoDispatchResponse_Outcome[r.outcome] ?? "").replace("OUTCOME_", "").toLowerCase();
              const to = r.rider ? [" to ", this.names.label(el("span", { attrs: { "data-rider": r.rider } }), r.rider)] : [];
              this.outcome = { task: task.name, line: [`auto-dispatch: ${outcome}`, ...to] };
              await this.select(task.name);
            }
          }, "auto-dispatch")),
          actionButton("Cancel task", async () => {
            const r = await attempt("CancelTask", () => this.api.tasks.cancelTask({ name: task.name, reason: reason.value || "cancelled in the console", etag: task.etag }));
            if (r) await this.select(task.name);
          }, "cancel"),
        )
      : el("p", { text: "finished" });
    this.root.replaceChildren(
      el("h2", { text: `Task ${task.orderId || shortId(task.name)}` }),
      el("p", { className: "id", text: `id ${lastId(task.name)}` }),
      el("p", { attrs: { "data-testid": "task-state" }, text: `state ${stateName(task.state)}` }),
      el("p", {}, "rider ", task.rider ? this.names.link(task.rider, this.onRider) : "none"),
      ...flagLines(task),
      ...coldChainLines(task),
      task.needsAddress ? el("p", { className: "flag", attrs: { "data-testid": "task-needs-address" }, text: "needs address: not dispatched until its place is set" }) : el("span"),
      el("p", { className: "notice", attrs: { "data-testid": "notice", role: "status" } }, this.notice?.task === task.name ? this.notice.text : ""),
      this.addresses.render(task) ?? el("span"),
      tools,
      el("p", { className: "outcome", attrs: { "data-testid": "outcome" } }, ...(this.outcome?.task === task.name ? this.outcome.line : [])),
      el("h3", { text: "Nearest eligible riders" }),
      nearest.length
        ? el("ol", { className: "candidates" }, ...candidates)
        : el("p", {
            text: task.needsAddress ? "(dispatch waits for the address)" : !this.writable ? "(ranking riders needs logistics:dispatch)" : active ? "none eligible nearby" : "—",
          }),
      leftOut ? el("p", { className: "left-out", attrs: { "data-testid": "left-out" }, text: `left out: ${leftOut}` }) : el("p"),
      el("h3", { text: "Other riders in view (manual override)" }),
      el("ul", { className: "others" }, ...others),
      el("h3", { text: "Event trail" }),
      el("ol", { className: "trail", attrs: { "data-testid": "trail" } }, ...trail),
    );
    this.root.hidden = false;
  }
}

export function tenantOf(name: string): string {
  return name.split("/").slice(0, 2).join("/");
}
