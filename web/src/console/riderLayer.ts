// Riders on the map: one GeoJSON source replaced with setData per frame (no DOM per rider),
// coloured by status, an arrow for the heading, faded when stale.
import type * as maplibregl from "maplibre-gl";
import { addArrowImage } from "../shared/map";

export interface RiderDot {
  name: string;
  lng: number;
  lat: number;
  heading: number;
  status: string; // "online" | "offline"
  task: string;
  seenMs: number;
  fleet: string;
}

export const STALE_MS = 60_000;
const SOURCE = "riders";

export class RiderLayer {
  private readonly map: maplibregl.Map;
  private readonly features: GeoJSON.Feature<GeoJSON.Point>[] = [];

  constructor(map: maplibregl.Map) {
    this.map = map;
    addArrowImage(map);
    map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    const state: maplibregl.ExpressionSpecification = [
      "case",
      ["==", ["get", "status"], "offline"], "#9aa5b1",
      ["get", "busy"], "#e8833a",
      "#2f9e44",
    ];
    const faded: maplibregl.ExpressionSpecification = ["case", ["get", "stale"], 0.35, 1];
    map.addLayer({
      id: "rider-dots",
      type: "circle",
      source: SOURCE,
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, 2.5, 14, 7],
        "circle-color": state,
        "circle-opacity": faded,
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 1,
        "circle-stroke-opacity": faded,
      },
    });
    map.addLayer({
      id: "rider-heading",
      type: "symbol",
      source: SOURCE,
      minzoom: 14,
      layout: {
        "icon-image": "arrow",
        "icon-rotate": ["get", "heading"],
        "icon-rotation-alignment": "map",
        "icon-allow-overlap": true,
        "icon-ignore-placement": true,
      },
      paint: { "icon-opacity": faded },
    });
  }

  /** How many riders the map has painted (by name: a dot near a tile's edge is in both
   * tiles), and how many of them at a position reported after ``sinceMs``. */
  drawn(sinceMs: number): { all: number; since: number } {
    const all = new Set<unknown>();
    const since = new Set<unknown>();
    for (const { properties } of this.map.queryRenderedFeatures({ layers: ["rider-dots"] })) {
      all.add(properties.name);
      if (Number(properties.seen) > sinceMs) since.add(properties.name);
    }
    return { all: all.size, since: since.size };
  }

  /** Redraws every rider of ``riders``; returns how many. */
  draw(riders: Iterable<RiderDot>, nowMs: number): number {
    const features = this.features;
    let n = 0;
    for (const r of riders) {
      const props = {
        name: r.name,
        status: r.status,
        busy: r.task !== "",
        heading: r.heading,
        stale: nowMs - r.seenMs > STALE_MS,
        seen: r.seenMs,
      };
      const existing = features[n];
      if (existing) {
        existing.geometry.coordinates = [r.lng, r.lat];
        existing.properties = props;
      } else {
        features.push({ type: "Feature", geometry: { type: "Point", coordinates: [r.lng, r.lat] }, properties: props });
      }
      n += 1;
    }
    features.length = n;
    const source = this.map.getSource<maplibregl.GeoJSONSource>(SOURCE);
    source?.setData({ type: "FeatureCollection", features });
    return n;
  }
}
