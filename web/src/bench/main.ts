// The console's rider path timed in the browser (bench/console.py drives it): a binary
// FleetFrame decoded, applied to the store and drawn by the rider layer, against an anchor
// that moves one DOM marker per rider (what MapLibre's docs advise against for thousands).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { FleetFrameSchema, RiderView_Status, type FleetFrame } from "@gen/bengobox/logistics/v1/telemetry_pb";
import { Marker } from "maplibre-gl";
import type * as maplibregl from "maplibre-gl";
import { createMap, NAIROBI, whenLoaded } from "../shared/map";
import { RiderLayer } from "../console/riderLayer";
import { Store } from "../console/store";

const t0 = performance.now();

function frameBytes(n: number, step: number, snapshot: boolean): Uint8Array {
  const now = Date.now();
  const riderUpserts = Array.from({ length: n }, (_, i) => {
    const angle = (i * 2.399963) % (2 * Math.PI); // a sunflower: riders spread over the view
    const r = 0.04 * Math.sqrt(i / n);
    return {
      rider: `tenants/bench/riders/r${i}`,
      position: {
        latitude: NAIROBI[1] + r * Math.sin(angle) + step * 1e-5,
        longitude: NAIROBI[0] + r * Math.cos(angle) + step * 1e-5,
      },
      headingDeg: (i * 37 + step * 5) % 360,
      status: i % 11 === 0 ? RiderView_Status.OFFLINE : RiderView_Status.ONLINE,
      task: i % 3 === 0 ? `tenants/bench/tasks/t${i}` : "",
      lastSeenTime: timestampFromMs(now - (i % 17 === 0 ? 120_000 : 1_000)),
      fleet: "",
    };
  });
  return toBinary(FleetFrameSchema, create(FleetFrameSchema, { sequence: BigInt(step), snapshot, riderUpserts }));
}

function idle(map: maplibregl.Map): Promise<void> {
  return new Promise((resolve) => map.once("idle", () => resolve()));
}

interface Timings {
  first_frame_ms: number;
  decode_ms: number[];
  apply_ms: number[];
  drawn_ms: number[];
}

async function run(n: number, updates: number): Promise<Timings> {
  const map = createMap(document.getElementById("map") as HTMLElement, { mapStyleUrl: null }, NAIROBI, 12);
  await whenLoaded(map);
  const store = new Store();
  const layer = new RiderLayer(map);
  const ready = idle(map);
  store.applyFrame(fromBinary(FleetFrameSchema, frameBytes(n, 0, true)));
  layer.draw(store.riders.values(), Date.now());
  await ready;
  const first = performance.now() - t0;
  const timings: Timings = { first_frame_ms: first, decode_ms: [], apply_ms: [], drawn_ms: [] };
  for (let step = 1; step <= updates; step += 1) {
    const bytes = frameBytes(n, step, false);
    const drawn = idle(map);
    const start = performance.now();
    const frame: FleetFrame = fromBinary(FleetFrameSchema, bytes); // connect-web's share
    const decoded = performance.now();
    store.applyFrame(frame); // the console's share: the store, then one setData
    layer.draw(store.riders.values(), Date.now());
    const applied = performance.now();
    await drawn;
    timings.decode_ms.push(decoded - start);
    timings.apply_ms.push(applied - decoded);
    timings.drawn_ms.push(performance.now() - start);
  }
  map.remove();
  return timings;
}

/** The anchor: one maplibregl.Marker (a DOM element) per rider, moved with setLngLat. */
async function runMarkers(n: number, updates: number): Promise<Timings> {
  const map = createMap(document.getElementById("map") as HTMLElement, { mapStyleUrl: null }, NAIROBI, 12);
  await whenLoaded(map);
  const markers = new Map<string, Marker>();
  const apply = (frame: FleetFrame): void => {
    for (const view of frame.riderUpserts) {
      const at: [number, number] = [view.position?.longitude ?? 0, view.position?.latitude ?? 0];
      const marker = markers.get(view.rider);
      if (marker) marker.setLngLat(at).setRotation(view.headingDeg);
      else markers.set(view.rider, new Marker({ scale: 0.4 }).setLngLat(at).addTo(map));
    }
    document.body.getBoundingClientRect(); // the layout the next paint needs, inside the apply
  };
  apply(fromBinary(FleetFrameSchema, frameBytes(n, 0, true)));
  await new Promise((resolve) => requestAnimationFrame(resolve));
  const timings: Timings = { first_frame_ms: performance.now() - t0, decode_ms: [], apply_ms: [], drawn_ms: [] };
  for (let step = 1; step <= updates; step += 1) {
    const bytes = frameBytes(n, step, false);
    const start = performance.now();
    const frame = fromBinary(FleetFrameSchema, bytes);
    const decoded = performance.now();
    apply(frame);
    timings.decode_ms.push(decoded - start);
    timings.apply_ms.push(performance.now() - decoded);
    await new Promise((resolve) => requestAnimationFrame(resolve));
    timings.drawn_ms.push(performance.now() - start);
  }
  map.remove();
  return timings;
}

declare global {
  interface Window {
    bench: { layer: typeof run; markers: typeof runMarkers };
  }
}
window.bench = { layer: run, markers: runMarkers };
