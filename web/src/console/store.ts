// The console's one store, fed by the live view and by reads: riders, tasks and alerts.
// Views render from it; nothing else keeps state.
import type { FleetFrame, RiderView } from "@gen/bengobox/logistics/v1/telemetry_pb";
import type { Task } from "@gen/bengobox/logistics/v1/task_pb";
import { millis } from "../shared/format";
import { alertTypeName, etaView, stateName, statusName, type EtaView } from "../shared/states";
import type { RiderDot } from "./riderLayer";

export interface TaskRow {
  name: string;
  state: string; // lowercase (stateName)
  rider: string;
  deadlineMs: number | null;
  eta: EtaView | null; // at the task's next step, from the live view
  needsAddress: boolean; // a step waits for its address (never dispatched to a guess)
  task: Task | null; // the full task once read
}

export interface AlertRow {
  key: string;
  type: string; // the event type, such as "task.sla_breached" (alertTypeName)
  rider: string;
  task: string;
  message: string;
  timeMs: number;
}

export const ACTIVE_STATES = ["created", "assigned", "en_route", "arrived"] as const;

function dotOf(view: RiderView): RiderDot {
  return {
    name: view.rider,
    lng: view.position?.longitude ?? 0,
    lat: view.position?.latitude ?? 0,
    heading: view.headingDeg,
    status: statusName(view.status),
    task: view.task,
    seenMs: millis(view.lastSeenTime) ?? 0,
    fleet: view.fleet,
  };
}

type Listener = () => void;

export class Store {
  readonly riders = new Map<string, RiderDot>();
  readonly tasks = new Map<string, TaskRow>();
  readonly alerts: AlertRow[] = [];
  readonly unknownTasks = new Set<string>();
  private readonly listeners = { riders: [] as Listener[], tasks: [] as Listener[], alerts: [] as Listener[] };

  on(topic: keyof Store["listeners"], listener: Listener): void {
    this.listeners[topic].push(listener);
  }

  private emit(topic: keyof Store["listeners"]): void {
    for (const listener of this.listeners[topic]) listener();
  }

  /** Applies one frame of the live view. */
  applyFrame(frame: FleetFrame): void {
    if (frame.snapshot) this.riders.clear();
    for (const view of frame.riderUpserts) this.riders.set(view.rider, dotOf(view));
    for (const name of frame.riderRemovals) this.riders.delete(name);
    if (frame.snapshot || frame.riderUpserts.length || frame.riderRemovals.length) this.emit("riders");
    for (const change of frame.taskChanges) {
      const row = this.tasks.get(change.task);
      if (row) {
        row.state = stateName(change.state);
        row.rider = change.rider;
        row.eta = etaView(change.arrival);
        row.needsAddress = change.needsAddress;
      } else {
        this.tasks.set(change.task, {
          name: change.task,
          state: stateName(change.state),
          rider: change.rider,
          deadlineMs: null,
          eta: etaView(change.arrival),
          needsAddress: change.needsAddress,
          task: null,
        });
        this.unknownTasks.add(change.task);
      }
    }
    if (frame.taskChanges.length) this.emit("tasks");
    for (const alert of frame.alerts) {
      const timeMs = millis(alert.alertTime) ?? Date.now();
      const type = alertTypeName(alert.type);
      this.alerts.unshift({
        key: `${type}|${alert.rider}|${alert.task}|${timeMs}`,
        type,
        rider: alert.rider,
        task: alert.task,
        message: alert.message,
        timeMs,
      });
    }
    if (frame.alerts.length) {
      this.alerts.length = Math.min(this.alerts.length, 200);
      this.emit("alerts");
    }
  }

  /** Records a task read from the API (list, get, or an action's answer). */
  putTask(task: Task): void {
    this.unknownTasks.delete(task.name);
    const row = this.tasks.get(task.name);
    const deadlineMs = millis(task.deliveryDeadline) ?? millis(task.pickupDeadline);
    const next: TaskRow = {
      name: task.name,
      state: stateName(task.state),
      rider: task.rider,
      deadlineMs,
      eta: row?.eta ?? null,
      needsAddress: task.needsAddress,
      task,
    };
    this.tasks.set(task.name, next);
    this.emit("tasks");
  }
}
