# The IdP image: Node 24 runs the TypeScript sources directly (type stripping), no build step.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY src ./src
COPY views ./views
COPY public ./public
COPY config ./config
COPY bin ./bin
USER node
EXPOSE 3000
CMD ["node", "src/main.ts"]
