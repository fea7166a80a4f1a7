// Cold chain in the task panel: a temperature excursion going on now, or one the goods had, with
// the newest reading (probe, °C, time), said in one line.
import type { Task } from "@gen/bengobox/logistics/v1/task_pb";
import { clock, el, millis } from "../shared/format";

/** The task's temperature line (none: an empty list, for goods that never left their range). */
export function coldChainLines(task: Task): HTMLElement[] {
  if (!task.temperatureExcursion) return [];
  const last = task.lastTemperature;
  const reading = last ? `; last ${last.celsius} °C on ${last.probeId} at ${clock(millis(last.recordTime))}` : "";
  const text = task.temperatureExcursionActive
    ? `🌡 temperature excursion now${reading}`
    : `🌡 had a temperature excursion, back in range${reading}`;
  return [el("p", { className: "flag", attrs: { "data-testid": "temperature-excursion" }, text })];
}
