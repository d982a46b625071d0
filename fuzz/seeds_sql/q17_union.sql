SELECT species AS name, bill_length_mm AS len FROM penguins
UNION ALL
SELECT "Species", "Culmen Length (mm)" FROM "penguins-raw"
ORDER BY name