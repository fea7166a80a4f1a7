// Riders and tasks by name, not by UUID: the live view carries resource names only, so a
// rider's display name (GetRider) and a task's upstream order id (the task the store has read,
// else GetTask) are read once and kept for the page's life. The short id shows until the name
// is known, and stays when there is none.
import { lastId, type Api } from "../shared/api";
import { link } from "../shared/format";
import { attempt } from "./actions";
import type { Store, TaskRow } from "./store";

export function shortId(name: string): string {
  return lastId(name).slice(0, 8);
}

/** A task as the board shows it before any read: its order id if the store has the task. */
export function taskLabel(row: TaskRow): string {
  return row.task?.orderId || shortId(row.name);
}

export class Names {
  private readonly kind: "rider" | "task";
  private readonly read: (name: string) => Promise<string | undefined>;
  private readonly pending = new Map<string, Promise<string>>();
  private readonly known = new Map<string, string>();

  constructor(kind: "rider" | "task", read: (name: string) => Promise<string | undefined>) {
    this.kind = kind;
    this.read = read;
  }

  /** The name, or the short id when there is none. */
  get(name: string): Promise<string> {
    let found = this.pending.get(name);
    if (!found) {
      found = this.read(name).then((value) => {
        const label = value || shortId(name);
        this.known.set(name, label);
        return label;
      });
      this.pending.set(name, found);
    }
    return found;
  }

  /** The name if already read, else the short id (and the read starts): for views redrawn
   * on a timer, which pick the name up on their next pass. */
  now(name: string): string {
    const label = this.known.get(name);
    if (label !== undefined) return label;
    void this.get(name);
    return shortId(name);
  }

  /** ``node`` with the short id as its text now, and the name once read. */
  label<N extends HTMLElement>(node: N, name: string, prefix = ""): N {
    node.textContent = prefix + this.now(name);
    if (!this.known.has(name)) {
      void this.get(name).then((label) => {
        node.textContent = prefix + label;
      });
    }
    return node;
  }

  /** A link (``data-rider`` or ``data-task``, the full id as its tooltip), named as above. */
  link(name: string, onClick: (name: string) => void, prefix = ""): HTMLAnchorElement {
    const attrs = { [`data-${this.kind}`]: name, title: lastId(name) };
    return this.label(link("", () => onClick(name), attrs), name, prefix);
  }
}

/** Riders by display name. */
export function riderNames(api: Api): Names {
  return new Names("rider", async (name) => (await attempt("GetRider", () => api.fleet.getRider({ name })))?.displayName);
}

/** Tasks by the order id of the upstream service. */
export function taskNames(api: Api, store: Store): Names {
  return new Names("task", async (name) => {
    const task = store.tasks.get(name)?.task ?? (await attempt("GetTask", () => api.tasks.getTask({ name })));
    return task?.orderId;
  });
}
