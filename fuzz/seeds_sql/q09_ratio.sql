SELECT "Culmen Length (mm)" / "Culmen Depth (mm)" AS culmen_ratio
FROM "penguins-raw"
WHERE "Culmen Depth (mm)" > 0