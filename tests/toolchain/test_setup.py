"""tools/setup.sh: a second run installs nothing and leaves everything linked."""

import hashlib
import os
import subprocess
import sysconfig
from pathlib import Path

from .helpers import ADAPTER_SCRIPT, REGISTERED_SOLC, ROOT


def fingerprint(*names):
    """What setup.sh stores in a stamp: sha256 of the files concatenated."""
    return hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in names)).hexdigest()


def test_setup__second_run_installs_nothing():
    proc = subprocess.run(
        ["bash", str(ROOT / "tools" / "setup.sh")],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout + proc.stderr
    assert "installing" not in output, output


def test_setup__stamps_match_the_files_they_install_from():
    assert (ROOT / ".venv" / ".installed").read_text().strip() == fingerprint(
        "requirements.txt", "pyproject.toml"
    )
    assert (ROOT / "node_modules" / ".installed").read_text().strip() == fingerprint(
        "package.json", "package-lock.json"
    )


def test_setup__links_adapter_anvil_cast_and_solcx_path():
    assert REGISTERED_SOLC.resolve() == ADAPTER_SCRIPT
    for tool in ("anvil", "cast"):
        link = ROOT / ".venv" / "bin" / tool
        assert link.is_symlink() and os.access(link.resolve(), os.X_OK), tool
    # The tests run on the venv's Python, whose site-packages holds the .pth.
    site_packages = Path(sysconfig.get_paths()["purelib"])
    assert site_packages.is_relative_to(ROOT / ".venv")
    pth = site_packages / "learning_market_toolchain.pth"
    assert f"'SOLCX_BINARY_PATH', '{ROOT / '.solcx'}'" in pth.read_text()
