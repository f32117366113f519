"""``python -m custom_components.studer_innotec.xcom``: the library's command line (see cli)."""

from .cli import run

if __name__ == "__main__":
    run()
