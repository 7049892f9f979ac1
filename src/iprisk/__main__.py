from iprisk.cli import main

main()
