"""The smallest Python client: create a delivery task, ask for it to be dispatched, and follow
it to the end, printing each update. Uses only the generated stubs (gen/python) and grpcio.

    export TOKEN=$(.venv/bin/logistics token --tenant demo \
        --scope "logistics:read logistics:dispatch")
    .venv/bin/python examples/python/follow_task.py            # against make demo
    .venv/bin/python examples/python/follow_task.py --no-dispatch --target 127.0.0.1:4104

Environment: TOKEN (required), TENANT (default demo).
"""

from __future__ import annotations

import argparse
import os
import threading

import grpc
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    dispatch_pb2_grpc,
    task_pb2,
    task_pb2_grpc,
    telemetry_pb2,
    telemetry_pb2_grpc,
)

Step = task_pb2.TaskStep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="127.0.0.1:4104", help="the gRPC listener")
    parser.add_argument("--no-dispatch", action="store_true", help="leave it to a dispatcher")
    args = parser.parse_args()
    tenant = os.environ.get("TENANT", "demo")
    metadata = (("authorization", f"Bearer {os.environ['TOKEN']}"),)

    with grpc.insecure_channel(args.target) as channel:
        # Lunch from Java House, Westlands, to an office on Waiyaki Way; the customer will
        # read out code 2468 at the door.
        task = task_pb2_grpc.TaskServiceStub(channel).CreateTask(
            task_pb2.CreateTaskRequest(
                parent=f"tenants/{tenant}",
                task=task_pb2.Task(
                    kind=task_pb2.Task.KIND_DELIVERY,
                    outlet_id="java-westlands",
                    steps=[
                        Step(
                            kind=Step.KIND_PICKUP,
                            location=common_pb2.GeoPoint(latitude=-1.2649, longitude=36.8050),
                        ),
                        Step(
                            kind=Step.KIND_DROP_OFF,
                            location=common_pb2.GeoPoint(latitude=-1.2612, longitude=36.7985),
                            contact_name="Wanjiku",
                            required_proofs=[Step.PROOF_KIND_ONE_TIME_CODE],
                            one_time_code="2468",
                        ),
                    ],
                ),
            ),
            metadata=metadata,
        )
        print("created", task.name, flush=True)
        if not args.no_dispatch:
            # AutoDispatch returns once a rider accepted (or the task went to manual dispatch);
            # follow the task meanwhile.
            dispatch = dispatch_pb2_grpc.DispatchServiceStub(channel)
            request = dispatch_pb2.AutoDispatchRequest(task=task.name)
            threading.Thread(
                target=dispatch.AutoDispatch, args=(request,), kwargs={"metadata": metadata}
            ).start()
        updates = telemetry_pb2_grpc.TelemetryServiceStub(channel).TrackTask(
            telemetry_pb2.TrackTaskRequest(task=task.name), metadata=metadata
        )
        for update in updates:
            where = ""
            if update.HasField("rider_position"):
                p = update.rider_position
                where = f" rider at {p.latitude:.5f},{p.longitude:.5f}"
            eta = f" eta {update.eta.seconds} s" if update.HasField("eta") else ""
            state = task_pb2.Task.State.Name(update.state).removeprefix("STATE_").lower()
            print(state, where + eta, flush=True)


if __name__ == "__main__":
    main()
