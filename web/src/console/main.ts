// The dispatcher console: sign-in, then the live view of the map's area feeding one store
// that the map, the task board, the alerts and the panels render from.
import { Task_State } from "@gen/bengobox/logistics/v1/task_pb";
import type * as maplibregl from "maplibre-gl";
import { connect, isAbort, type Api } from "../shared/api";
import { el } from "../shared/format";
import { createMap, loadConfig, whenLoaded } from "../shared/map";
import { canDispatch, decodeClaims, forgetToken, keepToken, tokenFromLocation, type Claims } from "../shared/session";
import { attempt, showError } from "./actions";
import { renderAlerts } from "./alerts";
import { Board } from "./board";
import { RiderLayer } from "./riderLayer";
import { riderNames, taskNames } from "./names";
import { RiderPanel } from "./riderPanel";
import { Routes } from "./routes";
import { Store } from "./store";
import { TaskPanel } from "./taskPanel";
import { Zones } from "./zones";
import "./console.css";

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

function signIn(): void {
  $("sign-in").hidden = false;
  $("token-submit").addEventListener("click", () => {
    const value = ($("token-input") as HTMLTextAreaElement).value.trim();
    if (!value) return;
    keepToken(value);
    location.reload();
  });
}

/** `#at=lat,lng,zoom` opens the map there (the default is central Nairobi). */
function startView(): { center?: [number, number]; zoom?: number } {
  const at = new URLSearchParams(location.hash.slice(1)).get("at");
  const parts = at?.split(",").map(Number) ?? [];
  if (parts.length < 2 || parts.some((n) => Number.isNaN(n))) return {};
  return { center: [parts[1] as number, parts[0] as number], zoom: parts[2] ?? 13 };
}

async function start(token: string, claims: Claims): Promise<void> {
  const writable = canDispatch(claims);
  document.body.classList.toggle("read-only", !writable);
  $("who").textContent = `tenant ${claims.tenant} · ${claims.subject} · ${claims.scopes.join(" ")}`;
  $("mode").textContent = writable ? "dispatcher" : "read-only";
  $("sign-out").hidden = false;
  $("sign-out").addEventListener("click", () => {
    forgetToken();
    location.reload();
  });
  $("console").hidden = false;

  const api = connect(token);
  const parent = `tenants/${claims.tenant}`;
  const store = new Store();
  const config = await loadConfig();
  const view = startView();
  const map = createMap($("map"), config, view.center, view.zoom);
  await whenLoaded(map);
  const zones = new Zones(map);
  const riders = new RiderLayer(map);
  let riderPanel: RiderPanel | null = null;
  let taskPanel: TaskPanel | null = null;
  const selectTask = (name: string): void => {
    board.selected = name;
    board.render();
    void taskPanel?.select(name);
  };
  const selectRider = (name: string): void => void riderPanel?.select(name);
  const names = riderNames(api);
  const tasks = taskNames(api, store);
  const board = new Board($("board"), store, zones, selectTask, names);
  taskPanel = new TaskPanel($("task-panel"), api, store, map, selectRider, writable, names);
  riderPanel = new RiderPanel($("rider-panel"), api, store, map, selectTask, names, tasks);
  const routes = new Routes($("routes"), api, store, map, names, tasks);

  // Riders redraw at most once per animation frame, however many frames the stream sends.
  let drawPending = false;
  store.on("riders", () => {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      const n = riders.draw(store.riders.values(), Date.now());
      $("rider-count").textContent = `${n} riders`;
    });
  });
  store.on("tasks", () => {
    board.render();
    taskPanel?.refresh();
    for (const name of store.unknownTasks) {
      store.unknownTasks.delete(name);
      void attempt("GetTask", () => api.tasks.getTask({ name })).then((t) => t && store.putTask(t));
    }
  });
  const alertLinks = { tasks, riders: names, onTask: selectTask, onRider: selectRider };
  store.on("alerts", () => renderAlerts($("alerts"), store, alertLinks));
  countDrawn(map, riders, $("map"));
  map.on("click", "rider-dots", (event) => {
    const name = event.features?.[0]?.properties?.name;
    if (typeof name === "string") selectRider(name);
  });
  $("toggle-cells").addEventListener("click", () => {
    $("toggle-cells").classList.toggle("on", zones.toggleCells());
  });
  $("plan-routes").addEventListener("click", () => void routes.plan());
  for (const button of document.querySelectorAll<HTMLButtonElement>(".needs-dispatch")) button.disabled = !writable;

  void loadReference(api, parent, store, zones);
  followView(api, parent, store, map, () => zones.drawCells());
}

/** Keeps two counts on the map's element, taken at most twice a second, always after the
 * latest paint: ``data-riders-drawn``, the riders the map has painted (not those the store
 * holds), and ``data-riders-moving``, those among them painted at a position reported since the
 * page opened (a rider known from before, with no ping since, is drawn but not moving).
 * `bench/demo_start.py` and the browser tests read them to know riders are on screen. */
function countDrawn(map: maplibregl.Map, riders: RiderLayer, node: HTMLElement): void {
  const openedMs = Date.now();
  let timer = 0;
  map.on("render", () => {
    if (timer) return;
    timer = window.setTimeout(() => {
      timer = 0;
      const drawn = riders.drawn(openedMs);
      node.dataset.ridersDrawn = String(drawn.all);
      node.dataset.ridersMoving = String(drawn.since);
    }, 500);
  });
}

async function loadReference(api: Api, parent: string, store: Store, zones: Zones): Promise<void> {
  const fences = await attempt("ListGeofences", () => api.telemetry.listGeofences({ parent, pageSize: 500 }));
  if (fences) zones.show(fences.geofences);
  const fleets = await attempt("ListFleets", () => api.fleet.listFleets({ parent, pageSize: 200 }));
  const fleetFilter = $("filter-fleet");
  for (const fleet of fleets?.fleets ?? []) fleetFilter.append(el("option", { text: fleet.displayName || fleet.name, attrs: { value: fleet.name } }));
  for (const state of [Task_State.CREATED, Task_State.ASSIGNED, Task_State.EN_ROUTE, Task_State.ARRIVED]) {
    const page = await attempt("ListTasks", () => api.tasks.listTasks({ parent, state, pageSize: 500 }));
    for (const task of page?.tasks ?? []) store.putTask(task);
  }
}

/** Keeps one SubscribeFleet open on the map's area, reopened when the map moves. */
function followView(api: Api, parent: string, store: Store, map: maplibregl.Map, moved: () => void): void {
  let controller: AbortController | null = null;
  let timer = 0;
  const live = $("live");
  const open = async (): Promise<void> => {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    const b = map.getBounds();
    const subscription = {
      area: {
        case: "boundingBox" as const,
        value: {
          southWest: { latitude: b.getSouth(), longitude: b.getWest() },
          northEast: { latitude: b.getNorth(), longitude: b.getEast() },
        },
      },
      includeRiders: true,
      includeTasks: true,
      includeAlerts: true,
    };
    try {
      live.textContent = "connecting";
      for await (const response of api.telemetry.subscribeFleet({ parent, subscription }, { signal: mine.signal })) {
        live.textContent = "live";
        if (response.frame) store.applyFrame(response.frame);
      }
      live.textContent = "ended";
    } catch (error) {
      if (mine.signal.aborted || isAbort(error)) return;
      live.textContent = "offline";
      showError("SubscribeFleet", error);
    }
    if (!mine.signal.aborted) timer = window.setTimeout(() => void open(), 3000);
  };
  map.on("moveend", () => {
    moved();
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void open(), 250);
  });
  void open();
}

const token = tokenFromLocation();
const claims = token ? decodeClaims(token) : null;
if (token && claims) void start(token, claims).catch((error: unknown) => showError("console", error));
else signIn();
