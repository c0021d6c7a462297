from b24metrics.cli import main

main()
