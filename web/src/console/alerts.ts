// Live alerts (predicted delay, SLA at risk and breached, geofence, offline, spoofing), newest
// first, each
// linking to its task (by order id) and rider (by display name).
import { clock, el } from "../shared/format";
import type { Names } from "./names";
import type { Store } from "./store";

export interface AlertLinks {
  tasks: Names;
  riders: Names;
  onTask: (task: string) => void;
  onRider: (rider: string) => void;
}

export function renderAlerts(root: HTMLElement, store: Store, links: AlertLinks): void {
  const items = store.alerts.slice(0, 50).map((a) => {
    const severe = a.type.endsWith("breached") || a.type.includes("spoofing") || a.type.endsWith("offline");
    const item = el(
      "li",
      { className: severe ? "alert severe" : "alert", attrs: { "data-testid": "alert", "data-type": a.type } },
      el("span", { className: "time", text: clock(a.timeMs) }),
      el("strong", { text: ` ${a.type} ` }),
      el("span", { text: a.message }),
    );
    if (a.task) item.append(" ", links.tasks.link(a.task, links.onTask, "task "));
    if (a.rider) item.append(" ", links.riders.link(a.rider, links.onRider, "rider "));
    return item;
  });
  root.replaceChildren(...items);
}
