from release_kit.cli import main

raise SystemExit(main())
