// Routes for the unassigned tasks in view: OptimizeRoutesStream with its progress, the plan
// drawn per vehicle (named by its rider) with stops (named by task) and times, and Apply (the
// same request with apply set).
import type { OptimizeRoutesResponse } from "@gen/bengobox/logistics/v1/dispatch_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { OptimizeRoutesRequestSchema } from "@gen/bengobox/logistics/v1/dispatch_pb";
import type * as maplibregl from "maplibre-gl";
import { lastId, type Api } from "../shared/api";
import { clock, el, millis } from "../shared/format";
import { emptyCollection } from "../shared/map";
import { actionButton, attempt, showError } from "./actions";
import type { Names } from "./names";
import type { Store } from "./store";
import { tenantOf } from "./taskPanel";

const COLOURS = ["#1c7ed6", "#e8590c", "#2b8a3e", "#ae3ec9", "#f08c00", "#0b7285", "#c2255c"];

type Request = MessageInitShape<typeof OptimizeRoutesRequestSchema>;

export class Routes {
  private readonly root: HTMLElement;
  private readonly api: Api;
  private readonly store: Store;
  private readonly map: maplibregl.Map;
  private readonly riders: Names;
  private readonly tasks: Names;

  constructor(root: HTMLElement, api: Api, store: Store, map: maplibregl.Map, riders: Names, tasks: Names) {
    this.root = root;
    this.riders = riders;
    this.tasks = tasks;
    this.api = api;
    this.store = store;
    this.map = map;
    map.addSource("routes", { type: "geojson", data: emptyCollection() });
    map.addLayer({ id: "routes", type: "line", source: "routes", paint: { "line-color": ["get", "colour"], "line-width": 3 } });
  }

  private request(): Request | null {
    const tasks = [...this.store.tasks.values()].filter((t) => t.state === "created").map((t) => t.name);
    const riders = [...this.store.riders.values()].filter((r) => r.status === "online" && !r.task).slice(0, 20);
    const first = tasks[0];
    if (!first || riders.length === 0) return null;
    return {
      parent: tenantOf(first),
      tasks,
      vehicles: riders.map((r) => ({ id: lastId(r.name), rider: r.name, start: { latitude: r.lat, longitude: r.lng } })),
      timeLimit: { seconds: 2n },
    } satisfies Request;
  }

  async plan(): Promise<void> {
    const request = this.request();
    this.root.hidden = false;
    if (!request) {
      this.root.replaceChildren(el("p", { text: "Routes need unassigned tasks and idle riders in view." }));
      return;
    }
    const progress = el("p", { text: "solving…", attrs: { "data-testid": "route-progress" } });
    this.root.replaceChildren(el("h2", { text: "Routes" }), progress);
    try {
      for await (const message of this.api.dispatch.optimizeRoutesStream({ request })) {
        if (message.result) this.show(request, message.result);
        else progress.textContent = `solving… best cost ${message.bestCost.toFixed(0)}`;
      }
    } catch (error) {
      showError("OptimizeRoutesStream", error);
      progress.textContent = "failed";
    }
  }

  private show(request: Request, plan: OptimizeRoutesResponse): void {
    const features: GeoJSON.Feature[] = [];
    const list = plan.routes.map((route, i) => {
      const colour = COLOURS[i % COLOURS.length] ?? "#000";
      const start = this.store.riders.get(route.rider);
      const coords: [number, number][] = start ? [[start.lng, start.lat]] : [];
      const seen = new Map<string, number>();
      const stops = route.stops.map((stop) => {
        const row = this.store.tasks.get(stop.task);
        const visit = seen.get(stop.task) ?? 0;
        seen.set(stop.task, visit + 1);
        const steps = row?.task?.steps ?? [];
        const step = visit === 0 ? steps[0] : steps[steps.length - 1];
        if (step?.location) coords.push([step.location.longitude, step.location.latitude]);
        const time = `${clock(millis(stop.arrivalTime))} `;
        return stop.task ? this.tasks.label(el("li"), stop.task, time) : el("li", { text: time + stop.stopId });
      });
      if (coords.length > 1) features.push({ type: "Feature", geometry: { type: "LineString", coordinates: coords }, properties: { colour } });
      const label = route.rider ? this.riders.label(el("strong"), route.rider) : el("strong", { text: route.vehicleId });
      label.style.color = colour; // CSSOM, not a style attribute: the CSP allows no inline styles
      return el("li", {}, label, ` ${(route.distanceM / 1000).toFixed(1)} km`, el("ol", {}, ...stops));
    });
    this.map.getSource<maplibregl.GeoJSONSource>("routes")?.setData({ type: "FeatureCollection", features });
    const apply = actionButton(plan.applied ? "Applied" : "Apply plan", async () => {
      const applied = await attempt("OptimizeRoutes", () => this.api.dispatch.optimizeRoutes({ ...request, apply: true }));
      if (applied) this.show(request, applied);
    });
    apply.disabled = plan.applied || document.body.classList.contains("read-only");
    const unassigned = plan.unassigned.map((u) => el("li", { text: `${u.stopId}: ${u.reason}` }));
    this.root.replaceChildren(
      el("h2", { text: `Routes (${plan.engine}, cost ${plan.cost.toFixed(0)})` }),
      el("ol", {}, ...list),
      unassigned.length ? el("ul", {}, ...unassigned) : "",
      apply,
    );
  }
}

