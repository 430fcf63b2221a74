from kerasrecipes.cli import main

raise SystemExit(main())
