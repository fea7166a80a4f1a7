// A task's addresses in the task panel: each step's address as given and where its location
// comes from; for a step that waits (PENDING or NEEDS_ADDRESS) the geocoder's candidates, listed
// with their confidence and pinned on the map, and the dispatcher's fix (a candidate, a pin
// placed on the map, or typed coordinates), sent as UpdateTask on that step under the task's
// etag. A conflict (ABORTED: the task changed since it was read) is said in words and the task
// read again, so the dispatcher decides on what is there now.
import { Code, ConnectError } from "@connectrpc/connect";
import { AddressState, TaskStep_Kind, type Task, type TaskStep } from "@gen/bengobox/logistics/v1/task_pb";
import * as maplibregl from "maplibre-gl";
import { errorReason, type Api } from "../shared/api";
import { el } from "../shared/format";
import { actionButton, showError } from "./actions";

const WAITING = new Set([AddressState.PENDING, AddressState.NEEDS_ADDRESS]);

export function waits(step: TaskStep): boolean {
  return WAITING.has(step.addressState);
}

const KIND: Record<TaskStep_Kind, string> = {
  [TaskStep_Kind.UNSPECIFIED]: "step",
  [TaskStep_Kind.PICKUP]: "pickup",
  [TaskStep_Kind.DROP_OFF]: "drop-off",
  [TaskStep_Kind.HUB]: "hub",
};

const SOURCE: Record<AddressState, string> = {
  [AddressState.UNSPECIFIED]: "",
  [AddressState.GIVEN]: "location given",
  [AddressState.PENDING]: "waiting for the geocoder",
  [AddressState.RESOLVED]: "resolved by the geocoder",
  [AddressState.NEEDS_ADDRESS]: "needs address",
};

/** "-1.28300, 36.82500" or "-1.283 36.825" as [lat, lng]; null when it is not two numbers. */
export function parseCoordinates(text: string): [number, number] | null {
  const parts = text.trim().split(/[\s,;]+/).filter(Boolean).map(Number);
  if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n))) return null;
  return [parts[0] as number, parts[1] as number];
}

function coordinates(lat: number, lng: number): string {
  return `${lat.toFixed(5)}, ${lng.toFixed(5)}`;
}

export class AddressPanel {
  private readonly api: Api;
  private readonly map: maplibregl.Map;
  // Reads the task again and shows it, with a line saying why.
  private readonly reload: (name: string, notice: string) => Promise<void>;
  private readonly fixed: (task: Task) => Promise<void>;
  private markers: maplibregl.Marker[] = [];
  private placed: maplibregl.Marker | null = null;
  private placing: ((at: maplibregl.LngLat) => void) | null = null;

  constructor(api: Api, map: maplibregl.Map, reload: (name: string, notice: string) => Promise<void>, fixed: (task: Task) => Promise<void>) {
    this.api = api;
    this.map = map;
    this.reload = reload;
    this.fixed = fixed;
    map.on("click", (event) => {
      const place = this.placing;
      this.placing = null;
      map.getCanvas().classList.remove("placing");
      place?.(event.lngLat);
    });
  }

  /** The task's address section (null when no step has an address or waits for one); its
   * candidates pinned on the map. */
  render(task: Task): HTMLElement | null {
    this.clear();
    const steps = task.steps.filter((s) => s.address || waits(s));
    if (steps.length === 0) return null;
    const section = el(
      "section",
      { className: "addresses", attrs: { "data-testid": "addresses" } },
      el("h3", { text: task.needsAddress ? "Address needed before dispatch" : "Addresses" }),
      ...steps.map((s) => (waits(s) ? this.waiting(task, s) : this.settled(s))),
    );
    this.showOnMap(task);
    return section;
  }

  /** Removes the candidates' pins and any pin being placed. */
  clear(): void {
    for (const marker of this.markers) marker.remove();
    this.markers = [];
    this.placed?.remove();
    this.placed = null;
    this.placing = null;
    this.map.getCanvas().classList.remove("placing");
  }

  private settled(step: TaskStep): HTMLElement {
    return el("p", { className: "address", attrs: { "data-step": step.id } }, `${KIND[step.kind]}: `, el("q", { text: step.address }), ` — ${SOURCE[step.addressState]}`);
  }

  private waiting(task: Task, step: TaskStep): HTMLElement {
    const typed = el("input", {
      attrs: { type: "text", placeholder: "latitude, longitude", "aria-label": `Coordinates for step ${step.id}`, "data-testid": "coordinates" },
    });
    typed.className = "needs-dispatch";
    typed.disabled = document.body.classList.contains("read-only");
    const fill = (lat: number, lng: number): void => {
      typed.value = coordinates(lat, lng);
    };
    const candidates = step.addressCandidates.map((c, i) => {
      const at = c.location ?? { latitude: 0, longitude: 0 };
      this.pinCandidate(i + 1, c.label, at.latitude, at.longitude, () => fill(at.latitude, at.longitude));
      return el(
        "li",
        { attrs: { "data-testid": "address-candidate" } },
        el("span", { className: "label", text: c.label }),
        ` ${Math.round(c.confidence * 100)}% `,
        actionButton("Use", () => this.fix(task, step, at.latitude, at.longitude), "use-candidate"),
      );
    });
    const why =
      step.addressState === AddressState.PENDING
        ? "waiting for the geocoder (set the location now, or wait)"
        : candidates.length
          ? "no candidate is confident enough: pick one, place a pin or type the coordinates"
          : "the geocoder found nothing: place a pin or type the coordinates";
    const pin = actionButton("Place a pin", async () => {
      this.map.getCanvas().classList.add("placing");
      this.placing = (at) => {
        fill(at.lat, at.lng);
        this.pinPlaced(at, (moved) => fill(moved.lat, moved.lng));
      };
    }, "place-pin");
    const set = actionButton("Set location", async () => {
      const point = parseCoordinates(typed.value);
      if (!point) {
        showError("Set location", new Error(`type the step's latitude and longitude, such as "-1.28300, 36.82500" (got "${typed.value}")`));
        return;
      }
      await this.fix(task, step, point[0], point[1]);
    }, "set-location");
    return el(
      "div",
      { className: "waiting", attrs: { "data-step": step.id, "data-testid": "waiting-step" } },
      el("p", {}, `${KIND[step.kind]} (step ${step.id}): `, el("q", { text: step.address, attrs: { "data-testid": "given-address" } })),
      el("p", { className: "why", text: `${SOURCE[step.addressState]}: ${why}` }),
      candidates.length ? el("ol", { className: "address-candidates" }, ...candidates) : el("span"),
      el("div", { className: "actions" }, typed, pin, set),
    );
  }

  /** Sets the step's location (UpdateTask, mask `steps`, the step sent whole as it is but
   * for its location); the service then takes the task out of needs_address. */
  private async fix(task: Task, step: TaskStep, latitude: number, longitude: number): Promise<void> {
    try {
      const updated = await this.api.tasks.updateTask({
        task: {
          name: task.name,
          etag: task.etag,
          steps: [
            {
              id: step.id,
              location: { latitude, longitude },
              address: step.address,
              window: step.window,
              contactName: step.contactName,
              contactPhone: step.contactPhone,
            },
          ],
        },
        updateMask: { paths: ["steps"] },
      });
      await this.fixed(updated);
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.Aborted) {
        const reason = errorReason(error);
        await this.reload(
          task.name,
          `Not saved: this task changed since it was read${reason ? ` (${reason})` : ""}. It has been read again; check the address and pick again.`,
        );
        return;
      }
      showError("UpdateTask", error);
    }
  }

  private pinCandidate(n: number, label: string, lat: number, lng: number, onClick: () => void): void {
    const node = el("button", { className: "candidate-pin", text: String(n), attrs: { type: "button", title: label, "data-testid": "candidate-pin" } });
    node.addEventListener("click", (event) => {
      event.stopPropagation();
      onClick();
    });
    this.markers.push(new maplibregl.Marker({ element: node }).setLngLat([lng, lat]).addTo(this.map));
  }

  /** One pin a dispatcher placed (a new one replaces it), dragged to adjust. */
  private pinPlaced(at: maplibregl.LngLat, onMove: (at: maplibregl.LngLat) => void): void {
    this.placed?.remove();
    const marker = new maplibregl.Marker({ draggable: true, color: "#7048e8" }).setLngLat(at).addTo(this.map);
    marker.getElement().dataset.testid = "placed-pin";
    marker.on("dragend", () => onMove(marker.getLngLat()));
    this.placed = marker;
  }

  /** Brings the candidates and the task's known places into view when some are outside it. */
  private showOnMap(task: Task): void {
    const points = task.steps.flatMap((s) =>
      waits(s) ? s.addressCandidates.flatMap((c) => (c.location ? [c.location] : [])) : s.location ? [s.location] : [],
    );
    if (points.length === 0) return;
    const view = this.map.getBounds();
    if (points.every((p) => view.contains([p.longitude, p.latitude]))) return;
    const bounds = new maplibregl.LngLatBounds();
    for (const p of points) bounds.extend([p.longitude, p.latitude]);
    this.map.fitBounds(bounds, { padding: 60, maxZoom: 15, duration: 0 });
  }
}
