// The contract's enums as the pages show them: task states and rider statuses in lowercase
// ("en_route", "online"), alerts by their event type ("task.sla_breached").
import { RidersLeftOut_Reason, type NearestRidersExplanation } from "@gen/bengobox/logistics/v1/dispatch_pb";
import { Task_State } from "@gen/bengobox/logistics/v1/task_pb";
import { ArrivalEstimate_Source, type ArrivalEstimate } from "@gen/bengobox/logistics/v1/common_pb";
import { Alert_Type, RiderView_Status } from "@gen/bengobox/logistics/v1/telemetry_pb";
import { millis, seconds } from "./format";

function lower(name: string | undefined, prefix: string): string {
  return (name ?? "unspecified").replace(prefix, "").toLowerCase();
}

export function stateName(state: Task_State): string {
  return lower(Task_State[state], "STATE_");
}

export function statusName(status: RiderView_Status): string {
  return lower(RiderView_Status[status], "STATUS_");
}

const ALERT_EVENTS: Record<Alert_Type, string> = {
  [Alert_Type.UNSPECIFIED]: "unspecified",
  [Alert_Type.GEOFENCE_ENTERED]: "geofence.entered",
  [Alert_Type.GEOFENCE_EXITED]: "geofence.exited",
  [Alert_Type.GEOFENCE_DWELLED]: "geofence.dwelled",
  [Alert_Type.RIDER_OFFLINE]: "rider.offline",
  [Alert_Type.RIDER_SPOOFING_SUSPECTED]: "rider.spoofing_suspected",
  [Alert_Type.TASK_SLA_AT_RISK]: "task.sla_at_risk",
  [Alert_Type.TASK_SLA_BREACHED]: "task.sla_breached",
  [Alert_Type.TASK_DELAYED]: "task.delayed",

  [Alert_Type.RIDER_OFF_ROUTE]: "rider.off_route",
  [Alert_Type.RIDER_BACK_ON_ROUTE]: "rider.back_on_route",
  [Alert_Type.TASK_TEMPERATURE_EXCURSION]: "task.temperature_excursion",
  [Alert_Type.TASK_TEMPERATURE_RECOVERED]: "task.temperature_recovered",
};

export function alertTypeName(type: Alert_Type): string {
  return ALERT_EVENTS[type] ?? "unspecified";
}

// How each source of an ETA reads on a page: a straight line is never shown as a road.
const ETA_SOURCES: Record<ArrivalEstimate_Source, string> = {
  [ArrivalEstimate_Source.UNSPECIFIED]: "source unknown",
  [ArrivalEstimate_Source.ROAD]: "by road",
  [ArrivalEstimate_Source.ROAD_CACHED]: "by road",
  [ArrivalEstimate_Source.STRAIGHT_LINE]: "straight-line estimate",
  [ArrivalEstimate_Source.STRAIGHT_LINE_FALLBACK]: "straight-line estimate, road routing unavailable",
};

export interface EtaView {
  arrivalMs: number | null;
  travelS: number | null;
  source: string; // lowercase: "road", "road_cached", "straight_line", "straight_line_fallback"
  label: string; // how the page says where it came from ("by road")
}

export function etaView(arrival: ArrivalEstimate | undefined): EtaView | null {
  if (!arrival) return null;
  return {
    arrivalMs: millis(arrival.arrivalTime),
    travelS: seconds(arrival.travel),
    source: lower(ArrivalEstimate_Source[arrival.source], "SOURCE_"),
    label: ETA_SOURCES[arrival.source] ?? "source unknown",
  };
}

/** "3 off shift, 2 no vehicle" from FindNearestRiders' explanation. */
export function leftOutSummary(explanation: NearestRidersExplanation | undefined): string {
  return (explanation?.leftOut ?? [])
    .map((l) => `${l.riders} ${lower(RidersLeftOut_Reason[l.reason], "REASON_").replaceAll("_", " ")}`)
    .join(", ");
}
