#!/usr/bin/env python3
"""Provision a private CPython >= 3.14.2 for this repository on a Debian-family machine.

Home Assistant 2026.10 needs Python 3.14.2 or newer, while Debian 12 ships 3.11 and Debian 13
ships 3.13. Rather than compiling CPython (slow, needs -dev packages), this takes the
python3.14 packages Debian *testing* already built, together with the shared libraries they
link against (glibc included), and unpacks them into a prefix inside the repository. The
interpreter binary is then re-pointed at the prefix's own dynamic loader and library
directory, so nothing from the host's /usr/lib is mixed in and nothing outside the prefix
is touched: apt runs with a private configuration and an empty package database.

Runs with the host's own python3 (3.9+), so it must use only the standard library.
Usage: provision_python.py PREFIX   (prints the interpreter path on its last line)
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import tempfile

MIN_VERSION = (3, 14, 2)
SERIES = "3.14"
SUITES = os.environ.get("STUDER_PY_SUITES", "forky sid").split()
PACKAGES = [f"python{SERIES}", f"python{SERIES}-venv", "tzdata", "patchelf"]
#: The C headers, so that pip can build the extensions Home Assistant's voice integrations pull
#: in (script/develop); unpacked without their dependencies, the static library left out.
HEADERS = [f"libpython{SERIES}-dev", f"python{SERIES}-dev"]
STAMP = ".provisioned"
STAMP_TEXT = f"python{SERIES} with headers for studer_innotec\n"


def log(message: str) -> None:
    print(f"[provision-python] {message}", file=sys.stderr, flush=True)


def run(*args: str, env: dict[str, str] | None = None, capture: bool = False) -> str:
    result = subprocess.run(
        args,
        env=env,
        check=True,
        stdout=subprocess.PIPE if capture else sys.stderr,
        stderr=sys.stderr,
        text=True,
    )
    return result.stdout if capture else ""


def debian_mirror() -> str:
    """The host's first non-security Debian archive: the only one that is reachable here."""
    if os.environ.get("STUDER_DEBIAN_MIRROR"):
        return os.environ["STUDER_DEBIAN_MIRROR"]
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for line in Path(path).read_text().splitlines():
            if line.startswith("URIs:"):
                for uri in line.split()[1:]:
                    if "security" not in uri:
                        return uri
    for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        if not os.path.exists(path):
            continue
        for line in Path(path).read_text().splitlines():
            words = line.split()
            if words[:1] == ["deb"]:
                for word in words[1:]:
                    if "://" in word and "security" not in word:
                        return word
    return "http://deb.debian.org/debian"


def keyring() -> str | None:
    for path in (
        "/usr/share/keyrings/debian-archive-keyring.pgp",
        "/usr/share/keyrings/debian-archive-keyring.gpg",
    ):
        if os.path.exists(path):
            return path
    return None


def host_acquire_settings() -> list[str]:
    """Proxies and archive-validity settings of the host: a mirror frozen at a snapshot date
    needs Check-Valid-Until false, and a proxy is the only way out on some networks."""
    dump = subprocess.run(
        ["apt-config", "dump"], capture_output=True, text=True, check=False
    ).stdout
    wanted = re.compile(r"^Acquire::(?:(?:https?|ftp|socks)::\S*|Check-Valid-Until|Check-Date) ")
    return [line for line in dump.splitlines() if wanted.match(line)]


class PrivateApt:
    """apt-get with its own state, cache and sources: the host's package database is never read."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("state/lists/partial", "cache/archives/partial", "parts"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "state/status").write_text("")
        arch = run("dpkg", "--print-architecture", capture=True).strip()
        self.arch = arch
        conf = [
            f'Dir::Etc::Parts "{root}/parts";',
            'Dir::Etc::Main "/dev/null";',
            f'Dir::Etc::SourceList "{root}/sources.list";',
            'Dir::Etc::SourceParts "/dev/null";',
            'Dir::Etc::Preferences "/dev/null";',
            'Dir::Etc::PreferencesParts "/dev/null";',
            f'Dir::State "{root}/state";',
            f'Dir::State::status "{root}/state/status";',
            f'Dir::Cache "{root}/cache";',
            f'APT::Architecture "{arch}";',
            'Acquire::Languages "none";',
            'Acquire::Retries "3";',
            'APT::Sandbox::User "root";',
        ]
        conf += host_acquire_settings()
        (root / "apt.conf").write_text("\n".join(conf) + "\n")
        self.env = dict(
            os.environ, APT_CONFIG=str(root / "apt.conf"), DEBIAN_FRONTEND="noninteractive"
        )

    def use_suite(self, mirror: str, suite: str) -> None:
        signed = f" signed-by={keyring()}" if keyring() else ""
        (self.root / "sources.list").write_text(
            f"deb [arch={self.arch}{signed}] {mirror} {suite} main\n"
        )
        run("apt-get", "-q", "update", env=self.env)

    def candidate(self, package: str) -> str | None:
        out = run("apt-cache", "show", "--no-all-versions", package, env=self.env, capture=True)
        match = re.search(r"^Version: (\S+)", out, re.MULTILINE)
        return match.group(1) if match else None

    def download_closure(self, packages: list[str]) -> list[Path]:
        """Let apt's own solver compute the dependency closure against an empty system."""
        run(
            "apt-get", "-q", "-y", "--download-only", "--no-install-recommends",
            "install", *packages, env=self.env,
        )  # fmt: skip
        return sorted((self.root / "cache/archives").glob("*.deb"))

    def download_alone(self, packages: list[str]) -> list[Path]:
        """Download packages without their dependencies (headers need none to be used)."""
        target = self.root / "alone"
        target.mkdir(exist_ok=True)
        subprocess.run(
            ["apt-get", "-q", "download", *packages],
            cwd=target,
            env=self.env,
            check=True,
            stdout=sys.stderr,
        )
        return sorted(target.glob("*.deb"))


def version_tuple(debian_version: str) -> tuple[int, ...]:
    upstream = debian_version.split(":")[-1].split("-")[0]
    parts = re.findall(r"\d+", upstream)[:3]
    return tuple(int(p) for p in parts)


def self_test(python: Path, prefix: Path) -> str | None:
    """Return None when the interpreter works and loads nothing from outside the prefix."""
    code = (
        "import sys, os, ssl, sqlite3, ctypes, venv, ensurepip, zoneinfo, lzma, bz2, decimal\n"
        "ssl.create_default_context(); zoneinfo.ZoneInfo('Europe/Zurich')\n"
        f"assert sys.version_info >= {MIN_VERSION!r}, sys.version\n"
        "prefix = os.path.realpath(sys.argv[1])\n"
        "outside = []\n"
        "for line in open('/proc/self/maps'):\n"
        "    f = line.split()\n"
        "    if len(f) == 6 and '.so' in f[5] and not os.path.realpath(f[5]).startswith(prefix):\n"
        "        outside.append(f[5])\n"
        "assert not outside, sorted(set(outside))\n"
    )
    result = subprocess.run(
        [str(python), "-I", "-c", code, str(prefix)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return (result.stderr or result.stdout or f"exit {result.returncode}").strip()[-400:]
    return None


def patch_interpreter(python: Path, prefix: Path, tools: Path) -> None:
    libdirs = [
        str(d)
        for d in (*prefix.glob("usr/lib/*-linux-gnu*"), *prefix.glob("lib/*-linux-gnu*"))
        if d.is_dir() and not d.is_symlink()
    ]
    loaders = [p for d in libdirs for p in Path(d).glob("ld-linux*.so.*") if not p.is_symlink()]
    if not loaders:
        raise SystemExit("the prefix has no dynamic loader: the download is incomplete")
    libpath = ":".join(libdirs)
    patchelf_bin = str(tools / "usr/bin/patchelf")

    def patchelf(*args: str) -> str:
        # patchelf from testing needs testing's glibc: run it through the prefix's loader.
        return run(str(loaders[0]), "--library-path", libpath, patchelf_bin, *args, capture=True)

    wanted = Path(patchelf("--print-interpreter", str(python)).strip()).name
    loader = next((p for p in loaders if p.name == wanted), loaders[0])
    original = python.with_suffix(".orig")
    shutil.copy2(python, original)
    # Setting the rpath before the interpreter avoids overlapping LOAD segments that some
    # patchelf releases produce on Debian's non-PIE python binary; try the other orders too.
    orders = (
        (("--force-rpath", "--set-rpath", libpath), ("--set-interpreter", str(loader))),
        (("--set-interpreter", str(loader), "--force-rpath", "--set-rpath", libpath),),
        (("--set-interpreter", str(loader)), ("--force-rpath", "--set-rpath", libpath)),
    )
    error: str | None = "no attempt"
    for steps in orders:
        shutil.copy2(original, python)
        try:
            for step in steps:
                patchelf(*step, str(python))
        except subprocess.CalledProcessError as exc:
            error = str(exc)
            continue
        error = self_test(python, prefix)
        if error is None:
            original.unlink()
            return
        log(f"patch order failed its self-test: {error}")
    raise SystemExit(f"could not produce a working interpreter: {error}")


def redirect_absolute_paths(prefix: Path) -> None:
    """Point Debian's /usr paths for pip's wheel and the time zones into the prefix."""
    for sysconfig in prefix.glob(f"usr/lib/python{SERIES}/_sysconfigdata_*.py"):
        if sysconfig.is_symlink():
            continue
        text = sysconfig.read_text()
        text = re.sub(
            r"'WHEEL_PKG_DIR': '/usr/share/python-wheels/?'",
            f"'WHEEL_PKG_DIR': '{prefix}/usr/share/python-wheels/'",
            text,
        )
        text = text.replace("'TZPATH': '", f"'TZPATH': '{prefix}/usr/share/zoneinfo:", 1)
        sysconfig.write_text(text)


def install_headers(prefix: Path) -> None:
    """Make the unpacked headers usable: Debian's pyconfig.h only points to a multiarch copy."""
    include = prefix / f"usr/include/python{SERIES}"
    for multiarch in prefix.glob(f"usr/include/*-linux-gnu*/python{SERIES}/pyconfig.h"):
        shutil.copyfile(multiarch, include / "pyconfig.h")
    for static in prefix.glob(f"usr/lib/**/libpython{SERIES}*.a"):
        static.unlink()  # 25 MB that nothing here links against


def provision(prefix: Path) -> Path:
    python = prefix / f"usr/bin/python{SERIES}"
    stamp = prefix / STAMP
    if (
        stamp.exists()
        and stamp.read_text() == STAMP_TEXT
        and python.exists()
        and self_test(python, prefix) is None
    ):
        return python
    for tool in ("apt-get", "apt-cache", "dpkg", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise SystemExit(f"'{tool}' not found: provisioning needs a Debian-based system")
    if prefix.exists():
        shutil.rmtree(prefix)
    prefix.mkdir(parents=True)
    mirror = debian_mirror()
    with tempfile.TemporaryDirectory(prefix="studer-apt-") as work:
        apt = PrivateApt(Path(work))
        for suite in SUITES:
            try:
                apt.use_suite(mirror, suite)
            except subprocess.CalledProcessError:
                log(f"suite {suite} is not reachable at {mirror}")
                continue
            version = apt.candidate(f"python{SERIES}-minimal")
            if version and version_tuple(version) >= MIN_VERSION:
                log(f"python{SERIES} {version} from Debian {suite}")
                break
            log(f"suite {suite} offers python{SERIES} {version or 'none'}; trying the next one")
        else:
            raise SystemExit(f"no Debian suite among {SUITES} offers python >= {MIN_VERSION}")
        debs = apt.download_closure(PACKAGES) + apt.download_alone(HEADERS)
        log(f"unpacking {len(debs)} packages into {prefix}")
        tools = Path(work) / "tools"
        for deb in debs:
            target = tools if deb.name.startswith("patchelf_") else prefix
            run("dpkg-deb", "-x", str(deb), str(target))
        prefix.chmod(0o755)
        redirect_absolute_paths(prefix)
        patch_interpreter(python, prefix, tools)
    subprocess.run(
        [
            str(python),
            "-I",
            "-m",
            "compileall",
            "-q",
            "-j0",
            str(prefix / f"usr/lib/python{SERIES}"),
        ],
        check=False,
        capture_output=True,
    )
    install_headers(prefix)
    (prefix / STAMP).write_text(STAMP_TEXT)
    return python


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: provision_python.py PREFIX")
    prefix = Path(sys.argv[1]).resolve()
    print(provision(prefix))


if __name__ == "__main__":
    main()
