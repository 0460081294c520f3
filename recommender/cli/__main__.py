"""`python -m recommender.cli ...`: the same as the `recommender` console script."""

import sys

from recommender.cli import main

sys.exit(main())
