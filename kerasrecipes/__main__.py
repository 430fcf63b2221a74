from kerasrecipes.cli import run

run()
