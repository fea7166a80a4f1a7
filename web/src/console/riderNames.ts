// Riders by name: the live view carries a rider's resource name only, so its display name is
// read once (GetRider) and kept for the page's life; the short id shows until it is known,
// and stays when the rider has none.
import { lastId, type Api } from "../shared/api";
import { link } from "../shared/format";
import { attempt } from "./actions";

export function shortId(rider: string): string {
  return lastId(rider).slice(0, 8);
}

export class RiderNames {
  private readonly api: Api;
  private readonly names = new Map<string, Promise<string>>();

  constructor(api: Api) {
    this.api = api;
  }

  /** The rider's display name, or its short id. */
  get(rider: string): Promise<string> {
    let name = this.names.get(rider);
    if (!name) {
      name = attempt("GetRider", () => this.api.fleet.getRider({ name: rider })).then((r) => r?.displayName || shortId(rider));
      this.names.set(rider, name);
    }
    return name;
  }

  /** ``node`` with the rider's short id as its text now, and its display name once read. */
  label<N extends HTMLElement>(node: N, rider: string, prefix = ""): N {
    node.textContent = prefix + shortId(rider);
    void this.get(rider).then((name) => {
      node.textContent = prefix + name;
    });
    return node;
  }

  /** A link to the rider's panel, named as above. */
  link(rider: string, onRider: (rider: string) => void): HTMLAnchorElement {
    return this.label(link("", () => onRider(rider), { "data-rider": rider, title: lastId(rider) }), rider);
  }
}
