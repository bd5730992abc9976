import sys

from graphcost.cli import main

sys.exit(main())
