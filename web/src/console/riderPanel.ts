// The selected rider: current task, eligibility and its reasons, last seen, and the last
// hour's track (GetTrack) drawn on the map.
import { IneligibilityReason_Code } from "@gen/bengobox/logistics/v1/fleet_pb";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type * as maplibregl from "maplibre-gl";
import { lastId, type Api } from "../shared/api";
import { clock, el } from "../shared/format";
import { emptyCollection } from "../shared/map";
import { attempt } from "./actions";
import type { Names } from "./names";
import type { Store } from "./store";

const BUSY = new Set(["assigned", "en_route", "arrived"]);

export class RiderPanel {
  private readonly root: HTMLElement;
  private readonly api: Api;
  private readonly store: Store;
  private readonly map: maplibregl.Map;
  private readonly onTask: (task: string) => void;
  private readonly names: Names;
  private readonly tasks: Names;

  constructor(root: HTMLElement, api: Api, store: Store, map: maplibregl.Map, onTask: (task: string) => void, names: Names, tasks: Names) {
    this.root = root;
    this.tasks = tasks;
    this.names = names;
    this.api = api;
    this.store = store;
    this.map = map;
    this.onTask = onTask;
    map.addSource("track", { type: "geojson", data: emptyCollection() });
    map.addLayer({ id: "track", type: "line", source: "track", paint: { "line-color": "#1c7ed6", "line-width": 3, "line-opacity": 0.7 } });
  }

  async select(rider: string): Promise<void> {
    const now = Date.now();
    const [eligibility, track] = await Promise.all([
      attempt("GetEligibility", () => this.api.fleet.getEligibility({ rider })),
      attempt("GetTrack", () =>
        this.api.telemetry.getTrack({
          rider,
          window: { startTime: timestampFromMs(now - 3_600_000), endTime: timestampFromMs(now) },
        }),
      ),
    ]);
    const points = track?.points ?? [];
    this.map.getSource<maplibregl.GeoJSONSource>("track")?.setData(
      points.length > 1
        ? { type: "Feature", geometry: { type: "LineString", coordinates: points.map((p) => [p.position?.longitude ?? 0, p.position?.latitude ?? 0]) }, properties: {} }
        : emptyCollection(),
    );
    const live = this.store.riders.get(rider);
    // The live view names the task from the rider's next ping; the board knows an assignment
    // made since.
    const current = live?.task || [...this.store.tasks.values()].find((t) => t.rider === rider && BUSY.has(t.state))?.name || "";
    const taskLine = current
      ? el("p", {}, "current task ", this.tasks.link(current, this.onTask))
      : el("p", { text: "no current task" });
    const reasons = eligibility?.reasons.map((r) => el("li", { text: r.message || (IneligibilityReason_Code[r.code] ?? "").toLowerCase() })) ?? [];
    this.root.replaceChildren(
      this.names.label(el("h2", { attrs: { title: lastId(rider) } }), rider, "Rider "),
      el("p", { text: live ? `${live.status}, last seen ${clock(live.seenMs)}` : "not in view" }),
      taskLine,
      el("p", { attrs: { "data-testid": "eligibility" }, text: eligibility ? (eligibility.eligible ? "eligible" : "not eligible:") : "eligibility unknown" }),
      el("ul", {}, ...reasons),
      el("p", { text: `track, last hour: ${points.length} points, ${Math.round(track?.distanceM ?? 0)} m` }),
    );
    this.root.hidden = false;
  }
}
