from unknot.cli import main

main()
