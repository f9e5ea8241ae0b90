from mongen.cli import main

main()
