SELECT island, COUNT(*) AS n
FROM penguins
GROUP BY island
HAVING COUNT(*) > 10