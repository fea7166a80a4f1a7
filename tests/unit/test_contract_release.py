"""``make breaking`` guards the released contract: proto/ is compatible with the committed
baseline (contract/release.binpb), and a change that would break a client is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUF = Path(sys.executable).parent / "buf"
RELEASED = ROOT / "contract" / "release.binpb"


def breaking(workspace: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BUF), "breaking", "--against", str(RELEASED)],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contract_is_compatible_with_the_last_release() -> None:
    result = breaking(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_deleted_field_fails_the_check(tmp_path: Path) -> None:
    shutil.copy(ROOT / "buf.yaml", tmp_path)
    shutil.copytree(ROOT / "proto", tmp_path / "proto")
    task_proto = tmp_path / "proto" / "bengobox" / "logistics" / "v1" / "task.proto"
    source = task_proto.read_text()
    assert "  string order_id = 4;\n" in source
    task_proto.write_text(source.replace("  string order_id = 4;\n", ""))

    result = breaking(tmp_path)

    assert result.returncode != 0
    assert 'field "4" with name "order_id"' in result.stdout
