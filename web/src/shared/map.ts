// The map both pages draw on: MapLibre with the basemap style the service is configured with,
// or a plain background that needs no tiles (so the page never waits on a tile server).
import * as maplibregl from "maplibre-gl";
import type { StyleSpecification } from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";

export interface PageConfig {
  mapStyleUrl: string | null;
}

export const NAIROBI: [number, number] = [36.8172, -1.2864];

const PLAIN: StyleSpecification = {
  version: 8,
  sources: {},
  layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f4" } }],
};

/** The page's `config.json` (served next to its index). */
export async function loadConfig(): Promise<PageConfig> {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) return { mapStyleUrl: null };
  const raw = (await response.json()) as { map_style_url?: string | null };
  return { mapStyleUrl: raw.map_style_url ?? null };
}

export function createMap(
  container: HTMLElement,
  config: PageConfig,
  center: [number, number] = NAIROBI,
  zoom = 12,
): maplibregl.Map {
  maplibregl.setWorkerUrl(workerUrl);
  return new maplibregl.Map({
    container,
    style: config.mapStyleUrl ?? PLAIN,
    center,
    zoom,
    attributionControl: { compact: true },
    fadeDuration: 0,
  });
}

/** A small arrow (pointing north) that symbol layers rotate by a rider's heading. */
export function addArrowImage(map: maplibregl.Map, name = "arrow"): void {
  const size = 32;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.fillStyle = "#1f2933";
  ctx.beginPath();
  ctx.moveTo(size / 2, 1);
  ctx.lineTo(size / 2 + 6, 11);
  ctx.lineTo(size / 2 - 6, 11);
  ctx.closePath();
  ctx.fill();
  map.addImage(name, ctx.getImageData(0, 0, size, size), { pixelRatio: 2 });
}

export function emptyCollection(): GeoJSON.FeatureCollection {
  return { type: "FeatureCollection", features: [] };
}

/** Resolves once the map's style is ready for sources and layers. */
export function whenLoaded(map: maplibregl.Map): Promise<void> {
  return new Promise((resolve) => {
    if (map.loaded()) resolve();
    else map.once("load", () => resolve());
  });
}
