"""Services whose RPCs are declared but not built yet: every call answers UNIMPLEMENTED.

The generated Connect protocols raise UNIMPLEMENTED for each method; these classes only make
them instantiable. Each is replaced by a real handler as its capability lands.
"""

from __future__ import annotations

from bengobox.logistics.v1 import dispatch_connect, task_connect


class TaskHandler(task_connect.TaskService):
    pass


class DispatchHandler(dispatch_connect.DispatchService):
    pass
