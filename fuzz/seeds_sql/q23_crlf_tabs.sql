SELECT	species,
	island
FROM	penguins
WHERE	sex = 'FEMALE';