from leadgate.cli import main

main()
