// The customer's tracking page: one task, followed through TrackTask with a task-scoped
// token: the rider on the map, the ETA, the states so far, and the proof once delivered.
import { TaskStep_ProofKind, type Proof } from "@gen/bengobox/logistics/v1/task_pb";
import type * as maplibregl from "maplibre-gl";
import { connect, describeError, isAbort, type Api } from "../shared/api";
import { clock, el, millis, seconds, span } from "../shared/format";
import { createMap, emptyCollection, loadConfig, whenLoaded } from "../shared/map";
import { decodeClaims, tokenFromLocation } from "../shared/session";
import { etaView, stateName } from "../shared/states";
import "./track.css";

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
const LABELS: Record<string, string> = {
  created: "Order received",
  assigned: "Rider assigned",
  en_route: "On the way",
  arrived: "Rider has arrived",
  completed: "Delivered",
  failed: "Delivery failed",
  cancelled: "Cancelled",
};
const FINAL = new Set(["completed", "failed", "cancelled"]);

function fail(message: string): void {
  $("error").textContent = message;
  $("error").hidden = false;
}

async function follow(api: Api, task: string, map: maplibregl.Map): Promise<void> {
  const seen: string[] = [];
  let first = true;
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      for await (const progress of api.telemetry.trackTask({ task })) {
        $("error").hidden = true;
        const state = stateName(progress.state);
        if (state !== seen[seen.length - 1]) {
          seen.push(state);
          $("timeline").append(
            el("li", { attrs: { "data-state": state } }, el("span", { text: clock(Date.now()) }), ` ${LABELS[state] ?? state}`),
          );
        }
        const eta = seconds(progress.eta);
        const arrival = etaView(progress.arrival);
        $("eta").textContent = FINAL.has(state)
          ? LABELS[state] ?? state
          : eta !== null
            ? `Arriving in about ${span(eta)}`
            : LABELS[state] ?? state;
        // Where the estimate came from: a straight-line guess is never passed off as a road one.
        $("eta-source").textContent = !FINAL.has(state) && arrival ? `(${arrival.label})` : "";
        $("eta-source").dataset.source = arrival?.source ?? "";
        const p = progress.riderPosition;
        const source = map.getSource<maplibregl.GeoJSONSource>("rider");
        if (p && source) {
          source.setData({ type: "Feature", geometry: { type: "Point", coordinates: [p.longitude, p.latitude] }, properties: {} });
          if (first) map.jumpTo({ center: [p.longitude, p.latitude], zoom: 14 });
          else map.easeTo({ center: [p.longitude, p.latitude], duration: 500 });
          first = false;
          $("seen").textContent = `Your rider was here at ${clock(millis(progress.positionTime))}`;
        }
        if (state === "completed") await showProof(api, task);
        if (FINAL.has(state)) {
          $("seen").textContent = "";
          return;
        }
      }
    } catch (error) {
      if (isAbort(error)) return;
      fail(describeError(error));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function describeProof(proof: Proof): string {
  const kind = (TaskStep_ProofKind[proof.kind] ?? "").replace("PROOF_KIND_", "").toLowerCase().replace(/_/g, " ");
  if (proof.kind === TaskStep_ProofKind.RECIPIENT_NAME) return `received by ${proof.text}`;
  if (proof.kind === TaskStep_ProofKind.ONE_TIME_CODE) return "code confirmed";
  return `${kind} recorded${proof.captureTime ? ` at ${clock(millis(proof.captureTime))}` : ""}`;
}

async function showProof(api: Api, task: string): Promise<void> {
  const box = $("proof");
  box.hidden = false;
  try {
    const answer = await api.tasks.listProofs({ parent: task });
    const items = answer.proofs.map((p) => el("li", { text: describeProof(p) }));
    box.replaceChildren(el("h2", { text: "Proof of delivery" }), items.length ? el("ul", {}, ...items) : el("p", { text: "Delivered (no proof was required)." }));
  } catch (error) {
    box.replaceChildren(el("h2", { text: "Proof of delivery" }), el("p", { text: describeError(error) }));
  }
}

async function main(): Promise<void> {
  const token = tokenFromLocation("logistics.tracking");
  const claims = token ? decodeClaims(token) : null;
  if (!token || !claims?.taskId) {
    fail("This link has no tracking token: ask the sender for a new link.");
    return;
  }
  const map = createMap($("map"), await loadConfig());
  await whenLoaded(map);
  map.addSource("rider", { type: "geojson", data: emptyCollection() });
  map.addLayer({ id: "rider", type: "circle", source: "rider", paint: { "circle-radius": 9, "circle-color": "#1c7ed6", "circle-stroke-color": "#fff", "circle-stroke-width": 3 } });
  await follow(connect(token), `tenants/${claims.tenant}/tasks/${claims.taskId}`, map);
}

void main();
