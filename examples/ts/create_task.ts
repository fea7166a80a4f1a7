// The smallest TypeScript client: create a delivery task over Connect and read it back.
// Uses the generated code in gen/ts and connect-web's fetch transport (Node 18+ has fetch).
//
// From the repository root, after `make web-install`:
//   web/node_modules/.bin/tsc -p examples/ts/tsconfig.json     # into .build/examples-ts
//   LOGISTICS_URL=http://127.0.0.1:4103 NODE_PATH=web/node_modules \
//   LOGISTICS_TOKEN=$(.venv/bin/logistics token --tenant demo --scope "logistics:read logistics:dispatch") \
//   node .build/examples-ts/examples/ts/create_task.js
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { Task_Kind, Task_State, TaskService, TaskStep_Kind } from "../../gen/ts/bengobox/logistics/v1/task_pb";

async function main(): Promise<void> {
  const url = process.env.LOGISTICS_URL ?? "http://127.0.0.1:4103";
  const token = process.env.LOGISTICS_TOKEN ?? "";
  const tenant = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()).tenant as string;
  const transport = createConnectTransport({
    baseUrl: url,
    interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), next(req))],
  });
  const tasks = createClient(TaskService, transport);
  const created = await tasks.createTask({
    parent: `tenants/${tenant}`,
    task: {
      kind: Task_Kind.DELIVERY,
      steps: [
        { kind: TaskStep_Kind.PICKUP, location: { latitude: -1.2833, longitude: 36.8167 } },
        { kind: TaskStep_Kind.DROP_OFF, location: { latitude: -1.3, longitude: 36.78 } },
      ],
    },
  });
  const read = await tasks.getTask({ name: created.name });
  console.log(`${read.name} ${Task_State[read.state]}`);
}

main().catch((error: unknown) => {
  console.error(String(error));
  process.exit(1);
});
