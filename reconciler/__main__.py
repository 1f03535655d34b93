from reconciler.cli.main import run

run()
