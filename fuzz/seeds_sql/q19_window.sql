SELECT species, bill_length_mm,
  RANK() OVER (PARTITION BY species ORDER BY bill_length_mm DESC) AS r,
  AVG(bill_depth_mm) OVER (PARTITION BY island) AS mean_depth
FROM penguins