// The contract's enums as the pages show them: task states and rider statuses in lowercase
// ("en_route", "online"), alerts by their event type ("task.sla_breached").
import { RidersLeftOut_Reason, type NearestRidersExplanation } from "@gen/bengobox/logistics/v1/dispatch_pb";
import { Task_State } from "@gen/bengobox/logistics/v1/task_pb";
import { Alert_Type, RiderView_Status } from "@gen/bengobox/logistics/v1/telemetry_pb";

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
};

export function alertTypeName(type: Alert_Type): string {
  return ALERT_EVENTS[type] ?? "unspecified";
}

/** "3 off shift, 2 no vehicle" from FindNearestRiders' explanation. */
export function leftOutSummary(explanation: NearestRidersExplanation | undefined): string {
  return (explanation?.leftOut ?? [])
    .map((l) => `${l.riders} ${lower(RidersLeftOut_Reason[l.reason], "REASON_").replaceAll("_", " ")}`)
    .join(", ");
}
