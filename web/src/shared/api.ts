// One transport to the service's HTTP listener (same origin, Connect protocol, binary), the
// clients built once from it, and errors turned into text that names their reason.
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { DispatchService } from "@gen/bengobox/logistics/v1/dispatch_pb";
import { FleetService } from "@gen/bengobox/logistics/v1/fleet_pb";
import { TaskService } from "@gen/bengobox/logistics/v1/task_pb";
import { TelemetryService } from "@gen/bengobox/logistics/v1/telemetry_pb";

export interface Api {
  tasks: Client<typeof TaskService>;
  dispatch: Client<typeof DispatchService>;
  fleet: Client<typeof FleetService>;
  telemetry: Client<typeof TelemetryService>;
}

export function connect(token: string): Api {
  const bearer: Interceptor = (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  const transport = createConnectTransport({
    baseUrl: location.origin,
    useBinaryFormat: true,
    interceptors: [bearer],
  });
  return {
    tasks: createClient(TaskService, transport),
    dispatch: createClient(DispatchService, transport),
    fleet: createClient(FleetService, transport),
    telemetry: createClient(TelemetryService, transport),
  };
}

/** `google.rpc.ErrorInfo.reason` (field 1) from an error's details, read off the wire: the
 * contract does not ship google/rpc types yet, and the reason is all the console shows. */
export function errorReason(error: ConnectError): string | null {
  for (const detail of error.details) {
    if (!("type" in detail) || !(detail.value instanceof Uint8Array)) continue;
    if (!detail.type.endsWith("google.rpc.ErrorInfo")) continue;
    const reader = new BinaryReader(detail.value);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1) return reader.string();
      reader.skip(wireType);
    }
  }
  return null;
}

/** "permission_denied: <message> (REASON)" for any error; never empty. */
export function describeError(error: unknown): string {
  if (error instanceof ConnectError) {
    const reason = errorReason(error);
    const code = Code[error.code]
      .replace(/([a-z])([A-Z])/g, "$1_$2")
      .toLowerCase();
    return `${code}: ${error.rawMessage}${reason ? ` (${reason})` : ""}`;
  }
  return error instanceof Error ? error.message : String(error);
}

export function isAbort(error: unknown): boolean {
  return error instanceof ConnectError && error.code === Code.Canceled;
}

/** The last segment of a resource name. */
export function lastId(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}
