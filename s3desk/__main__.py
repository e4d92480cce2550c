from s3desk.cli import main

raise SystemExit(main())
