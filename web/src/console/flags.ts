// Verified completion in the task panel: each step whose arrival or completion was flagged
// (away from the step, or with no position where the tenant flags that), said in one line.
import { PresenceCheck_Verdict, type PresenceCheck, type Task, type TaskStep } from "@gen/bengobox/logistics/v1/task_pb";
import { el } from "../shared/format";

function metres(m: number): string {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
}

function line(step: TaskStep, what: string, check: PresenceCheck | undefined): string | null {
  if (!check?.flagged) return null;
  const where =
    check.verdict === PresenceCheck_Verdict.NO_POSITION
      ? "with no position"
      : `${metres(check.distanceM)} away (allowed ${metres(check.radiusM)}${check.accuracyM ? ` + accuracy ${metres(check.accuracyM)}` : ""})`;
  return `⚑ step ${step.id} ${what} ${where}`;
}

/** The flagged steps of ``task``, one paragraph each (none: an empty list). */
export function flagLines(task: Task): HTMLElement[] {
  return task.steps
    .flatMap((s) => [line(s, "arrived", s.arrivalCheck), line(s, "completed", s.completionCheck)])
    .filter((text): text is string => text !== null)
    .map((text) => el("p", { className: "flag", attrs: { "data-testid": "completion-flag" }, text }));
}
