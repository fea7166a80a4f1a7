"""Cold chain: temperature readings stored with their task, excursions detected and recorded,
and the recorded log given as a step's temperature proof."""
