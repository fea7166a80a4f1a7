// The bearer token of this tab: from a `#token=` link or pasted, kept in sessionStorage only.
// Its payload is decoded for display (tenant, scopes); the service is what checks it.

const KEY = "logistics.token";

export interface Claims {
  tenant: string;
  scopes: string[];
  subject: string;
  taskId?: string;
  expires?: Date;
}

/** Takes `#token=...` off the URL (so it is not left in history) into this tab's storage. */
export function tokenFromLocation(storageKey: string = KEY): string | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromLink = params.get("token");
  if (fromLink) {
    sessionStorage.setItem(storageKey, fromLink);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
    return fromLink;
  }
  return sessionStorage.getItem(storageKey);
}

export function keepToken(token: string, storageKey: string = KEY): void {
  sessionStorage.setItem(storageKey, token);
}

export function forgetToken(storageKey: string = KEY): void {
  sessionStorage.removeItem(storageKey);
}

/** The token's claims for display; null when it is not a readable JWT. */
export function decodeClaims(token: string): Claims | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const raw = JSON.parse(json) as Record<string, unknown>;
    const scope = typeof raw.scope === "string" ? raw.scope : "";
    return {
      tenant: typeof raw.tenant === "string" ? raw.tenant : "",
      scopes: scope.split(" ").filter((s) => s.length > 0),
      subject: typeof raw.sub === "string" ? raw.sub : "",
      taskId: typeof raw.task_id === "string" ? raw.task_id : undefined,
      expires: typeof raw.exp === "number" ? new Date(raw.exp * 1000) : undefined,
    };
  } catch {
    return null;
  }
}

/** Whether the claims allow dispatcher actions (assign, cancel, auto-dispatch, routes). */
export function canDispatch(claims: Claims): boolean {
  return claims.scopes.includes("logistics:dispatch") || claims.scopes.includes("logistics:admin");
}
