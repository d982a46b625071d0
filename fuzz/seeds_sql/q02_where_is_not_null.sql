SELECT species, sex, AVG(bill_length_mm), AVG(bill_depth_mm)
FROM penguins
WHERE sex IS NOT NULL
GROUP BY species, sex