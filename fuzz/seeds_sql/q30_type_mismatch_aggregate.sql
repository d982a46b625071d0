SELECT island,
  SUM(species) FROM penguins GROUP BY island