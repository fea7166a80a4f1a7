// Zones and geofences drawn on the map, the zone filter's choices, and the H3 cells of the
// view on demand.
import type { Geofence } from "@gen/bengobox/logistics/v1/telemetry_pb";
import { Geofence_Kind } from "@gen/bengobox/logistics/v1/telemetry_pb";
import { cellToBoundary, polygonToCells } from "h3-js";
import type * as maplibregl from "maplibre-gl";
import { el } from "../shared/format";
import { emptyCollection } from "../shared/map";

const CIRCLE_SIDES = 48;

function ring(fence: Geofence): [number, number][] {
  if (fence.shape.case === "polygon") {
    const pts = fence.shape.value.vertices.map((v): [number, number] => [v.longitude, v.latitude]);
    const first = pts[0];
    return first ? [...pts, first] : pts;
  }
  if (fence.shape.case === "circle") {
    const c = fence.shape.value;
    const lat = c.center?.latitude ?? 0;
    const lng = c.center?.longitude ?? 0;
    const dLat = c.radiusM / 111_320;
    const dLng = dLat / Math.cos((lat * Math.PI) / 180);
    return Array.from({ length: CIRCLE_SIDES + 1 }, (_, i): [number, number] => {
      const a = (2 * Math.PI * i) / CIRCLE_SIDES;
      return [lng + dLng * Math.cos(a), lat + dLat * Math.sin(a)];
    });
  }
  return [];
}

function inside(pt: [number, number], poly: [number, number][]): boolean {
  let result = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i] as [number, number];
    const [xj, yj] = poly[j] as [number, number];
    if (yi > pt[1] !== yj > pt[1] && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) result = !result;
  }
  return result;
}

export class Zones {
  private readonly map: maplibregl.Map;
  private readonly rings = new Map<string, [number, number][]>();
  private cellsShown = false;

  constructor(map: maplibregl.Map) {
    this.map = map;
    map.addSource("zones", { type: "geojson", data: emptyCollection() });
    map.addLayer({
      id: "zone-fill",
      type: "fill",
      source: "zones",
      paint: { "fill-color": ["case", ["==", ["get", "kind"], "no_go"], "#e03131", "#4263eb"], "fill-opacity": 0.08 },
    });
    map.addLayer({ id: "zone-line", type: "line", source: "zones", paint: { "line-color": "#4263eb", "line-width": 1.5 } });
    map.addSource("cells", { type: "geojson", data: emptyCollection() });
    map.addLayer({ id: "cells", type: "line", source: "cells", paint: { "line-color": "#868e96", "line-width": 0.6 } });
  }

  show(fences: Geofence[]): void {
    const features: GeoJSON.Feature[] = [];
    const zoneFilter = document.getElementById("filter-zone") as HTMLSelectElement;
    for (const fence of fences) {
      const r = ring(fence);
      if (r.length < 4) continue;
      this.rings.set(fence.name, r);
      const kind = (Geofence_Kind[fence.kind] ?? "").replace("KIND_", "").toLowerCase();
      features.push({
        type: "Feature",
        geometry: { type: "Polygon", coordinates: [r] },
        properties: { name: fence.name, kind },
      });
      if (fence.kind === Geofence_Kind.ZONE) {
        zoneFilter.append(el("option", { text: fence.displayName || fence.name, attrs: { value: fence.name } }));
      }
    }
    this.map.getSource<maplibregl.GeoJSONSource>("zones")?.setData({ type: "FeatureCollection", features });
  }

  contains(zone: string, lng: number, lat: number): boolean {
    const r = this.rings.get(zone);
    return r !== undefined && inside([lng, lat], r);
  }

  /** Shows or hides the H3 cells covering the view, at a resolution that suits the zoom. */
  toggleCells(): boolean {
    this.cellsShown = !this.cellsShown;
    this.drawCells();
    return this.cellsShown;
  }

  drawCells(): void {
    const source = this.map.getSource<maplibregl.GeoJSONSource>("cells");
    if (!this.cellsShown) {
      source?.setData(emptyCollection());
      return;
    }
    const b = this.map.getBounds();
    const resolution = Math.max(0, Math.min(10, Math.round(this.map.getZoom() * 0.75 - 1.5)));
    const box = [
      [b.getSouth(), b.getWest()],
      [b.getSouth(), b.getEast()],
      [b.getNorth(), b.getEast()],
      [b.getNorth(), b.getWest()],
    ];
    const cells = polygonToCells(box, resolution).slice(0, 5000);
    const features: GeoJSON.Feature[] = cells.map((cell) => ({
      type: "Feature",
      geometry: { type: "Polygon", coordinates: [cellToBoundary(cell, true)] },
      properties: { cell },
    }));
    source?.setData({ type: "FeatureCollection", features });
  }
}
