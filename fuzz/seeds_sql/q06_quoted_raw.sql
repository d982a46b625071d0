SELECT "Species", "Island", AVG("Body Mass (g)") AS mean_mass
FROM "penguins-raw"
GROUP BY "Species", "Island"