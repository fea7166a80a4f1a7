// A dashboard on another origin, as small as it gets: the generated FleetService client over
// connect-web, in each protocol a browser can speak, and a bare fetch. Built by
// tests/e2e/test_cors.py with web/'s Vite; each call answers what the page could see.
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { FleetService } from "@gen/bengobox/logistics/v1/fleet_pb";

export type Outcome = { ok: true; value: string } | { ok: false; error: string };
export type Protocol = "connect" | "connect-get" | "grpc-web";

function transport(baseUrl: string, token: string, protocol: Protocol): Transport {
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const options = { baseUrl, interceptors: [bearer] };
  return protocol === "grpc-web"
    ? createGrpcWebTransport(options)
    : createConnectTransport({ ...options, useHttpGet: protocol === "connect-get" });
}

function failed(err: unknown): Outcome {
  if (err instanceof ConnectError) {
    return { ok: false, error: `${Code[err.code]}: ${err.rawMessage}` };
  }
  return { ok: false, error: String(err) };
}

/** GetRider in ``protocol``: the rider's display name, or what failed. */
export async function getRider(
  baseUrl: string,
  token: string,
  protocol: Protocol,
  name: string,
): Promise<Outcome> {
  try {
    const rider = await createClient(FleetService, transport(baseUrl, token, protocol)).getRider({ name });
    return { ok: true, value: rider.displayName };
  } catch (err) {
    return failed(err);
  }
}

/** A Connect unary POST by hand with fetch: the HTTP status, or the browser's error. */
export async function rawFetch(baseUrl: string, token: string, name: string): Promise<Outcome> {
  try {
    const answer = await fetch(`${baseUrl}/bengobox.logistics.v1.FleetService/GetRider`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name }),
    });
    return { ok: true, value: `${answer.status} ${(await answer.json()).displayName}` };
  } catch (err) {
    return failed(err);
  }
}
