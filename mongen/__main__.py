"""`python -m mongen` and the `mongen` command (pyproject's [project.scripts])."""


def run() -> None:
    from mongen import dataclass_code

    dataclass_code.install()  # before the CLI and the pipeline define their ~100 dataclasses
    from mongen.cli import main

    main()


if __name__ == "__main__":
    run()
